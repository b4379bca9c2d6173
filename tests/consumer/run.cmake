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
