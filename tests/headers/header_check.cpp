// The umbrella header compiled as C++: every public declaration must be usable from C++.
#include <webhooks.h>

#include <cstdio>
#include <cstring>

int main()
{
    if (std::strcmp(wh_version(), WH_VERSION_STRING) != 0 || wh_version_num() != WH_VERSION_NUM) {
        std::fprintf(stderr, "version mismatch\n");
        return 1;
    }
    wh_subscription *sub = nullptr;
    if (wh_subscription_new(&sub) != WH_OK) return 1;
    wh_subscription_free(sub);
    std::printf("C++ header check: libwebhooks %s\n", wh_version());
    return 0;
}
