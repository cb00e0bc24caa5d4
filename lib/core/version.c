/* The version of the library loaded at run time (webhooks/common.h). */
#include "webhooks/common.h"

const char *wh_version(void)
{
    return WH_VERSION_STRING;
}

int wh_version_num(void)
{
    return WH_VERSION_NUM;
}
