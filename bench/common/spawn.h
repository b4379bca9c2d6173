// SPDX-FileCopyrightText: 2026 The canstop authors
// SPDX-License-Identifier: MIT

#pragma once

// Starting and stopping the programs a benchmark measures, without Qt:
// posix_spawn with the program's stderr in a log file.

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <vector>

extern char **environ;

namespace bench {

// `argv` with its stderr in `log`; `fdAt3`, if any, placed at descriptor 3.
inline pid_t spawn(std::vector<std::string> argv, const std::string &log, int fdAt3 = -1)
{
    std::vector<char *> args;
    for (std::string &arg : argv)
        args.push_back(arg.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fdAt3 >= 0)
        posix_spawn_file_actions_adddup2(&actions, fdAt3, 3);
    pid_t pid = -1;
    posix_spawn(&pid, args.front(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

// SIGTERM, then its exit code (128 + the signal if a signal ended it).
inline int stop(pid_t pid)
{
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace bench
