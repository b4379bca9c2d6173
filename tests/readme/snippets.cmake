# SPDX-FileCopyrightText: 2026 The canstop authors
# SPDX-License-Identifier: MIT

# Compiles every C++ snippet of the README and the guides, so that none can
# drift from the API, and writes their QML snippets out for the qmllint
# test (CANSTOP_README_QML_SNIPPETS). A C++ snippet with a main(), or that
# begins with an #include, is a whole file and must include what it uses;
# any other is the body of a function, with canstop's headers and, unless
# it makes its own, the application's `lifecycle`.
file(GLOB guides ${PROJECT_SOURCE_DIR}/docs/guides/*.md)
set(text "")
foreach(document ${PROJECT_SOURCE_DIR}/README.md ${guides})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${document})
    file(READ ${document} content)
    string(APPEND text "${content}")
endforeach()
# Out of the way of CMake's list syntax while the blocks are a list;
# file(CONFIGURE) puts them back.
string(REPLACE ";" "@semicolon@" text "${text}")
string(REPLACE "[" "@open@" text "${text}")
string(REPLACE "]" "@close@" text "${text}")
set(semicolon ";")
set(open "[")
set(close "]")
string(REGEX MATCHALL "```cpp\n[^`]*```" blocks "${text}")

set(sources ${CMAKE_CURRENT_LIST_DIR}/context.h)
set(index 0)
foreach(block IN LISTS blocks)
    math(EXPR index "${index} + 1")
    string(REGEX REPLACE "^```cpp\n(.*)```$" "\\1" code "${block}")
    set(file ${CMAKE_CURRENT_BINARY_DIR}/readme/snippet${index}.cpp)
    if(code MATCHES "int main\\(" OR code MATCHES "^#include")
        set(content "#include \"context.h\"\n${code}")
    else()
        set(parameters "[[maybe_unused]] canstop::LifecycleManager &lifecycle")
        if(code MATCHES "LifecycleManager lifecycle")
            set(parameters "")
        endif()
        string(CONCAT content "#include \"context.h\"\n\n"
                    "#include <canstop/gracefullocalserver.h>\n"
                    "#include <canstop/gracefultcpserver.h>\n#include <canstop/healthprobe.h>\n"
                    "#include <canstop/lifecyclemanager.h>\n\n"
                    "#include <QLocalSocket>\n#include <QTcpSocket>\n\n#include <csignal>\n\n"
                    "void snippet${index}(${parameters})\n{\n${code}}\n")
    endif()
    file(CONFIGURE OUTPUT ${file} CONTENT "${content}" @ONLY)
    list(APPEND sources ${file})
endforeach()
if(index LESS 3)
    message(FATAL_ERROR "found ${index} C++ snippets in the README and guides, expected more")
endif()

string(REGEX MATCHALL "```qml\n[^`]*```" blocks "${text}")
set(CANSTOP_README_QML_SNIPPETS "")
set(index 0)
foreach(block IN LISTS blocks)
    math(EXPR index "${index} + 1")
    string(REGEX REPLACE "^```qml\n(.*)```$" "\\1" code "${block}")
    set(file ${CMAKE_CURRENT_BINARY_DIR}/readme/Snippet${index}.qml)
    file(CONFIGURE OUTPUT ${file} CONTENT "${code}" @ONLY)
    list(APPEND CANSTOP_README_QML_SNIPPETS ${file})
endforeach()

# Snippets since removed from the documents; the others keep their files,
# which file(CONFIGURE) rewrites only when they change.
file(GLOB written ${CMAKE_CURRENT_BINARY_DIR}/readme/*)
list(REMOVE_ITEM written ${sources} ${CANSTOP_README_QML_SNIPPETS})
if(written)
    file(REMOVE ${written})
endif()

# Compiled, not linked: a snippet that does not compile fails the build.
add_library(readme_snippets OBJECT ${sources})
target_include_directories(readme_snippets PRIVATE ${CMAKE_CURRENT_LIST_DIR})
find_package(Qt6 REQUIRED COMPONENTS Widgets HttpServer Qml Concurrent)
target_link_libraries(readme_snippets PRIVATE Canstop::Lifecycle Canstop::Network
                                              Canstop::WebSockets Qt6::Widgets Qt6::HttpServer
                                              Qt6::Qml Qt6::Concurrent)
