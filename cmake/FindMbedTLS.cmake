# FindMbedTLS: Debian's libmbedtls-dev ships neither a CMake config nor a .pc file.
# Defines MbedTLS::mbedcrypto, MbedTLS::mbedx509, MbedTLS::mbedtls and MbedTLS_VERSION.
find_path(MbedTLS_INCLUDE_DIR NAMES mbedtls/version.h)
find_library(MbedTLS_CRYPTO_LIBRARY NAMES mbedcrypto)
find_library(MbedTLS_X509_LIBRARY NAMES mbedx509)
find_library(MbedTLS_TLS_LIBRARY NAMES mbedtls)

if(MbedTLS_INCLUDE_DIR AND EXISTS "${MbedTLS_INCLUDE_DIR}/mbedtls/version.h")
  file(STRINGS "${MbedTLS_INCLUDE_DIR}/mbedtls/version.h" _wh_mbed_ver
       REGEX "^#define[ \t]+MBEDTLS_VERSION_STRING[ \t]+\"[0-9.]+\"")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" MbedTLS_VERSION "${_wh_mbed_ver}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(MbedTLS
  REQUIRED_VARS MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY MbedTLS_INCLUDE_DIR
  VERSION_VAR MbedTLS_VERSION)

if(MbedTLS_FOUND)
  foreach(_wh_lib IN ITEMS crypto x509 tls)
    if(_wh_lib STREQUAL "crypto")
      set(_wh_name mbedcrypto)
      set(_wh_path ${MbedTLS_CRYPTO_LIBRARY})
    elseif(_wh_lib STREQUAL "x509")
      set(_wh_name mbedx509)
      set(_wh_path ${MbedTLS_X509_LIBRARY})
    else()
      set(_wh_name mbedtls)
      set(_wh_path ${MbedTLS_TLS_LIBRARY})
    endif()
    if(NOT TARGET MbedTLS::${_wh_name})
      add_library(MbedTLS::${_wh_name} UNKNOWN IMPORTED)
      set_target_properties(MbedTLS::${_wh_name} PROPERTIES
        IMPORTED_LOCATION "${_wh_path}"
        INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}")
    endif()
  endforeach()
  set_property(TARGET MbedTLS::mbedx509 PROPERTY INTERFACE_LINK_LIBRARIES MbedTLS::mbedcrypto)
  set_property(TARGET MbedTLS::mbedtls PROPERTY INTERFACE_LINK_LIBRARIES MbedTLS::mbedx509)
endif()
mark_as_advanced(MbedTLS_INCLUDE_DIR MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY)
