# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

# canstop_compile_settings(<target>)
#
# The strict settings every file of canstop's libraries compiles with.
function(canstop_compile_settings target)
    target_compile_definitions(${target} PRIVATE
        QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_CAST_FROM_BYTEARRAY QT_USE_QSTRINGBUILDER)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
endfunction()

# canstop_finish_library(<target> EXPORT_NAME <Name> OUTPUT_NAME <file name>
#                        [EXPORT_HEADER <base name>] [HEADERS <public headers>...]
#                        [PKGCONFIG_REQUIRES <pkg-config modules>...])
#
# What every canstop library shares: the Canstop::<Name> alias, versioned
# file names, an optional generated export header, strict private
# compile settings, and installation with its own <Name> export set and,
# with PKGCONFIG_REQUIRES, a pkg-config file <file name>.pc.
function(canstop_finish_library target)
    cmake_parse_arguments(arg "" "EXPORT_NAME;OUTPUT_NAME;EXPORT_HEADER"
                          "HEADERS;PKGCONFIG_REQUIRES" ${ARGN})
    add_library(Canstop::${arg_EXPORT_NAME} ALIAS ${target})
    set_target_properties(${target} PROPERTIES
        OUTPUT_NAME ${arg_OUTPUT_NAME}
        EXPORT_NAME ${arg_EXPORT_NAME}
        VERSION ${PROJECT_VERSION}
        SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

    set(headers ${arg_HEADERS})
    if(arg_EXPORT_HEADER)
        set(generated ${CMAKE_CURRENT_BINARY_DIR}/include/canstop/${arg_EXPORT_HEADER}_export.h)
        generate_export_header(${target} BASE_NAME ${arg_EXPORT_HEADER} EXPORT_FILE_NAME ${generated})
        list(APPEND headers ${generated})
    endif()
    target_include_directories(${target} PUBLIC
        $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
        $<BUILD_INTERFACE:${CMAKE_CURRENT_BINARY_DIR}/include>
        $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    canstop_compile_settings(${target})

    install(TARGETS ${target} EXPORT Canstop${arg_EXPORT_NAME}Targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    if(headers)
        install(FILES ${headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/canstop)
    endif()
    install(EXPORT Canstop${arg_EXPORT_NAME}Targets
        NAMESPACE Canstop::
        DESTINATION ${CANSTOP_INSTALL_CMAKEDIR})

    if(arg_PKGCONFIG_REQUIRES)
        # Relocatable: the prefix is found from the .pc file's own place.
        file(RELATIVE_PATH pc_to_prefix "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
        string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
        set(pc_name ${arg_OUTPUT_NAME})
        list(JOIN arg_PKGCONFIG_REQUIRES " " pc_requires)
        configure_file(${PROJECT_SOURCE_DIR}/cmake/canstop.pc.in
                       ${CMAKE_CURRENT_BINARY_DIR}/${pc_name}.pc @ONLY)
        install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc_name}.pc
                DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
    endif()
endfunction()
