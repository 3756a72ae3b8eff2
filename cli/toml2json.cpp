// SPDX-License-Identifier: Apache-2.0
// nucleus-toml2json: converts a TOML policy file to one line of JSON.
// The nucleus CLI is C and links only jansson so that it starts fast; it runs this
// helper only when it is given a TOML policy (as standard input), so libstdc++ and
// toml++ never load on its normal path.
// Keys come out sorted: toml::table is an ordered map and keeps no insertion order.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <pthread.h>
#include <toml++/toml.h>

namespace {

// Policies are a few hundred bytes: refuse a wrong file (or /dev/zero) early.
constexpr size_t max_input = 1 << 20;

// toml++ recurses once per level while it parses and frees a document and does not
// limit dotted keys (a.b.c...): 1 MiB of them overflows an 8 MiB stack (it needs
// ~150 MiB, ~300 MiB under ASan). The work runs on a thread whose stack fits the
// largest accepted input; only such an input touches that memory.
constexpr size_t stack_size = size_t(512) << 20;

// No policy nests this deep; a clear error beats a JSON document jansson refuses.
constexpr int max_depth = 512;

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

void put_string(std::string &out, std::string_view s)
{
        out += '"';
        for (unsigned char c : s) {
                if (c == '"' || c == '\\') {
                        out += '\\';
                        out += static_cast<char>(c);
                } else if (c < 0x20 || c == 0x7f) {
                        char esc[8];
                        std::snprintf(esc, sizeof(esc), "\\u%04x", c);
                        out += esc;
                } else {
                        out += static_cast<char>(c);  // UTF-8 passes through: toml++ validated it
                }
        }
        out += '"';
}

void put_double(std::string &out, double d)
{
        if (!std::isfinite(d))
                throw error("inf and nan cannot be represented in JSON");
        char buf[64];  // to_chars: the shortest text that reads back as the same double
        std::string_view s(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof(buf), d).ptr - buf));
        out += s;
        if (s.find_first_of(".eE") == std::string_view::npos)
                out += ".0";  // jansson reads "1" as an integer: keep a TOML float a JSON real
}

void put_node(std::string &out, const toml::node &node, int depth)
{
        if (depth > max_depth)
                throw error("nesting is deeper than " + std::to_string(max_depth));
        node.visit([&](auto &&n) {
                using T = std::decay_t<decltype(n)>;
                if constexpr (std::is_same_v<T, toml::table>) {
                        out += '{';
                        for (auto &&[k, v] : n) {
                                if (out.back() != '{')
                                        out += ',';
                                put_string(out, k.str());
                                out += ':';
                                put_node(out, v, depth + 1);
                        }
                        out += '}';
                } else if constexpr (std::is_same_v<T, toml::array>) {
                        out += '[';
                        for (auto &&v : n) {
                                if (out.back() != '[')
                                        out += ',';
                                put_node(out, v, depth + 1);
                        }
                        out += ']';
                } else if constexpr (std::is_same_v<T, toml::value<std::string>>) {
                        put_string(out, n.get());
                } else if constexpr (std::is_same_v<T, toml::value<int64_t>>) {
                        out += std::to_string(n.get());
                } else if constexpr (std::is_same_v<T, toml::value<double>>) {
                        put_double(out, n.get());
                } else if constexpr (std::is_same_v<T, toml::value<bool>>) {
                        out += n.get() ? "true" : "false";
                } else {
                        std::ostringstream ss;  // date, time, date-time: toml++ prints RFC 3339
                        ss << n.get();
                        put_string(out, ss.str());
                }
        });
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
        toml::table doc;
        try {
                doc = toml::parse(text, std::string_view(name));
        } catch (const toml::parse_error &e) {
                std::fprintf(stderr, "%s:%u:%u: %s\n", name, e.source().begin.line,
                             e.source().begin.column, std::string(e.description()).c_str());
                return 1;
        }

        std::string out;
        put_node(out, doc, 0);
        out += '\n';
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
