/* libFuzzer target: compile the input as a template in every mode and render it for a fixed
 * event (and, for inputs starting with '#', with no subscription id). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *sub_id = size && data[0] == '#' ? NULL : "sub_42";
    fuzz_render_all_modes((const char *)data, size, fuzz_fixed_event(), sub_id);
    return 0;
}
