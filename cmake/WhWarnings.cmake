# Warning and sanitizer flags shared by every target of the project.
set(WH_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wformat=2 -Wvla -Wno-unused-parameter)
set(WH_CXX_WARNINGS -Wall -Wextra -Wno-unused-parameter)
if(WH_WERROR)
  list(APPEND WH_WARNINGS -Werror)
  list(APPEND WH_CXX_WARNINGS -Werror)
endif()

if(WH_SANITIZE)
  set(WH_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  add_compile_options(${WH_SAN_FLAGS})
  add_link_options(${WH_SAN_FLAGS})
endif()

# wh_target_warnings(target): apply the project's warnings to one C target.
function(wh_target_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:${WH_WARNINGS}>
                                           $<$<COMPILE_LANGUAGE:CXX>:${WH_CXX_WARNINGS}>)
endfunction()

# libFuzzer builds: instrument every target (the library too) for coverage feedback; the
# fuzz targets themselves link the fuzzer runtime (tests/fuzz/CMakeLists.txt).
if(WH_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=fuzzer-no-link)
endif()
