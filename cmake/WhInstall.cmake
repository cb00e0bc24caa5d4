# Installation: headers, both libraries, the CMake package and webhooks.pc.
include(CMakePackageConfigHelpers)

# webhooks/conformance.h goes with the conformance kit (conformance/CMakeLists.txt).
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "conformance.h" EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/include/webhooks/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/webhooks)
install(TARGETS webhooks webhooks_static EXPORT webhooksTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(WH_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/webhooks)
install(EXPORT webhooksTargets NAMESPACE webhooks:: DESTINATION ${WH_CMAKE_DIR})
configure_package_config_file(cmake/webhooksConfig.cmake.in
  ${PROJECT_BINARY_DIR}/webhooksConfig.cmake INSTALL_DESTINATION ${WH_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/webhooksConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/webhooksConfig.cmake
              ${PROJECT_BINARY_DIR}/webhooksConfigVersion.cmake
        DESTINATION ${WH_CMAKE_DIR})

# The .pc file finds its prefix relative to itself, so an installed tree can be moved.
file(RELATIVE_PATH WH_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
configure_file(cmake/webhooks.pc.in ${PROJECT_BINARY_DIR}/webhooks.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/webhooks.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
