# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

# The soak's server, for tests/tst_soak.cpp and bench/soak alike.
if(NOT TARGET canstop-soak-server)
    qt_add_executable(canstop-soak-server ${CMAKE_CURRENT_LIST_DIR}/server.cpp)
    target_link_libraries(canstop-soak-server PRIVATE Canstop::Network Canstop::WebSockets
                                                      Qt6::HttpServer Qt6::WebSockets)
endif()
