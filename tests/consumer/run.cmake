# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

# Installs canstop from BUILD_DIR into a fresh prefix, builds the consumer
# project against it and runs it: find_package(Canstop) must work from the
# installed files alone. Then the same with pkg-config and no CMake.

# Runs the command after the two arguments; stops, saying `what` failed,
# unless it exits with `expected`.
function(run expected what)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
    if(NOT result EQUAL expected)
        message(FATAL_ERROR "${what} failed: ${result}")
    endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run(0 "installing" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")

run(0 "configuring the consumer against the installed package"
    "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -G Ninja
    "-DCMAKE_PREFIX_PATH=${prefix}"
    "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
run(0 "building the consumer" "${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run(42 "the consumer (exit 42 expected)" "${WORK_DIR}/build/consumer")

set(ENV{PKG_CONFIG_PATH} "${prefix}/${LIBDIR}/pkgconfig")
execute_process(COMMAND pkg-config --cflags --libs canstop-network
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE result)
if(result)
    message(FATAL_ERROR "pkg-config canstop-network failed")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
separate_arguments(consumer_flags UNIX_COMMAND "${CONSUMER_FLAGS}")
run(0 "building with pkg-config's flags"
    "${CXX}" -std=c++17 -fPIC ${consumer_flags} "${SOURCE_DIR}/pkgconfig.cpp" ${flags}
    "-Wl,-rpath,${prefix}/${LIBDIR}" -o "${WORK_DIR}/pkgconfig-consumer")
run(42 "the pkg-config consumer (exit 42 expected)" "${WORK_DIR}/pkgconfig-consumer")

foreach(file "${DATADIR}/licenses/canstop/MIT.txt"
             "${DATADIR}/qlogging-categories6/canstop.categories")
    if(NOT EXISTS "${prefix}/${file}")
        message(FATAL_ERROR "not installed: ${file}")
    endif()
endforeach()
message(STATUS "both consumers built against the installed package and exited with 42")
