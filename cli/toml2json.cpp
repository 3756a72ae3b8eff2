// SPDX-License-Identifier: Apache-2.0
// nucleus-toml2json: converts a TOML policy file to one line of JSON.
// The nucleus CLI is C and links only jansson so that it starts fast; it runs this
// helper only when it is given a TOML policy (as standard input), so libstdc++ and
// toml++ never load on its normal path.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include <pthread.h>
#include "toml_json.h"

namespace {

// Policies are a few hundred bytes: refuse a wrong file (or /dev/zero) early.
constexpr size_t max_input = 1 << 20;

// toml++ recurses once per level while it parses and frees a document and does not
// limit dotted keys (a.b.c...): 1 MiB of them overflows an 8 MiB stack (it needs
// ~150 MiB, ~300 MiB under ASan). The work runs on a thread whose stack fits the
// largest accepted input; only such an input touches that memory.
constexpr size_t stack_size = size_t(512) << 20;

using error = std::runtime_error;

std::string_view read_input(const char *file)
{
        static char buf[max_input + 1];  // the extra byte tells a too-large input
        std::FILE *f = file ? std::fopen(file, "rb") : stdin;
        if (!f)
                throw error(std::string(file) + ": " + std::strerror(errno));
        size_t n = std::fread(buf, 1, sizeof(buf), f);
        int err = errno;
        bool failed = std::ferror(f);
        if (file)
                std::fclose(f);
        if (failed)
                throw error(std::string("read: ") + std::strerror(err));
        if (n > max_input)
                throw error("input is larger than 1 MiB");
        return std::string_view(buf, n);
}

int usage(std::FILE *f, int code)
{
        std::fputs("Usage: nucleus-toml2json [--name DISPLAYNAME] [FILE]\n"
                   "Converts TOML (FILE, or standard input if absent or -) to one line of JSON.\n", f);
        return code;
}

int run(char **argv)
{
        const char *name = nullptr, *file = nullptr;

        for (int i = 1; argv[i]; i++) {
                std::string_view a = argv[i];
                if (a == "-h" || a == "--help")
                        return usage(stdout, 0);
                if (a == "--name" && argv[i + 1])
                        name = argv[++i];
                else if (a.rfind("--name=", 0) == 0)
                        name = argv[i] + 7;
                else if ((a.size() > 1 && a[0] == '-') || file)
                        return usage(stderr, 2);  // also a --name without its value
                else
                        file = argv[i];
        }
        if (file && std::string_view(file) == "-")
                file = nullptr;
        if (!name)
                name = file ? file : "stdin";

        std::string_view text = read_input(file);
        std::string out, err;
        if (!nucleus::toml_to_json(text, name, out, err)) {
                std::fprintf(stderr, "%s\n", err.c_str());
                return 1;
        }
        if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0)
                throw error(std::string("write: ") + std::strerror(errno));
        return 0;
}

int exit_code = 1;

void *run_job(void *argv)
{
        try {
                exit_code = run(static_cast<char **>(argv));
        } catch (const std::exception &e) {
                std::fprintf(stderr, "nucleus-toml2json: %s\n", e.what());
        } catch (...) {
                std::fprintf(stderr, "nucleus-toml2json: unexpected error\n");
        }
        return nullptr;
}

} // namespace

int main(int, char **argv)
{
        pthread_attr_t attr;
        pthread_t t;

        std::signal(SIGPIPE, SIG_IGN);  // a reader that went away is a write error, not a kill
        if (pthread_attr_init(&attr) == 0 && pthread_attr_setstacksize(&attr, stack_size) == 0 &&
            pthread_create(&t, &attr, run_job, argv) == 0)
                pthread_join(t, nullptr);
        else
                run_job(argv);  // no room for the big stack: ordinary input still fits
        return exit_code;
}
