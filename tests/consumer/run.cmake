# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

# Installs canstop from BUILD_DIR into a fresh prefix, builds the consumer
# project against it and runs it: find_package(Canstop) must work from the
# installed files alone.
file(REMOVE_RECURSE "${WORK_DIR}")

execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix"
                RESULT_VARIABLE result OUTPUT_QUIET)
if(result)
    message(FATAL_ERROR "install failed: ${result}")
endif()

execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -G Ninja
            "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix"
            "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}"
    RESULT_VARIABLE result)
if(result)
    message(FATAL_ERROR "configuring the consumer against the installed package failed")
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" RESULT_VARIABLE result)
if(result)
    message(FATAL_ERROR "building the consumer failed")
endif()

execute_process(COMMAND "${WORK_DIR}/build/consumer" RESULT_VARIABLE result)
if(NOT result EQUAL 42)
    message(FATAL_ERROR "the consumer exited with ${result}, expected 42")
endif()
message(STATUS "consumer built against the installed package and exited with 42")

# The same libraries through pkg-config, with no CMake at all.
set(ENV{PKG_CONFIG_PATH} "${WORK_DIR}/prefix/${LIBDIR}/pkgconfig")
execute_process(COMMAND pkg-config --cflags --libs canstop-network
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE result)
if(result)
    message(FATAL_ERROR "pkg-config canstop-network failed")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
separate_arguments(consumer_flags UNIX_COMMAND "${CONSUMER_FLAGS}")
execute_process(
    COMMAND "${CXX}" -std=c++17 -fPIC ${consumer_flags} "${SOURCE_DIR}/pkgconfig.cpp" ${flags}
            "-Wl,-rpath,${WORK_DIR}/prefix/${LIBDIR}" -o "${WORK_DIR}/pkgconfig-consumer"
    RESULT_VARIABLE result)
if(result)
    message(FATAL_ERROR "building with pkg-config's flags failed")
endif()
execute_process(COMMAND "${WORK_DIR}/pkgconfig-consumer" RESULT_VARIABLE result)
if(NOT result EQUAL 42)
    message(FATAL_ERROR "the pkg-config consumer exited with ${result}, expected 42")
endif()

foreach(file "${DATADIR}/licenses/canstop/MIT.txt" "${DATADIR}/qlogging-categories6/canstop.categories")
    if(NOT EXISTS "${WORK_DIR}/prefix/${file}")
        message(FATAL_ERROR "not installed: ${file}")
    endif()
endforeach()
message(STATUS "pkg-config consumer exited with 42; licence and logging categories installed")
