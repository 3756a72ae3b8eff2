// SPDX-License-Identifier: Apache-2.0
//
// nucleus-toml2json: converts a TOML policy file to one line of JSON.
//
// The nucleus CLI is C and links only jansson so that it starts fast; it runs this
// helper only when it is given a TOML policy, so libstdc++ and toml++ never load on
// its normal path. The CLI passes the open policy file as standard input.
//
// Keys come out sorted: toml::table is an ordered map and keeps no insertion order.
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <pthread.h>
#include <toml++/toml.h>

namespace {

// Policies are a few hundred bytes; the cap keeps a wrong file (or /dev/zero) from
// eating memory.
constexpr size_t max_input = 1 << 20;

// toml++ limits nesting of arrays and inline tables, but not the length of dotted
// keys (a.b.c...), which nest tables too; the walk below recurses, so cap it here
// rather than run out of stack.
constexpr int max_depth = 512;

struct error : std::runtime_error {
        using std::runtime_error::runtime_error;
};

std::string read_all(std::FILE *f)
{
        std::string buf;
        char chunk[65536];
        size_t n;

        while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0) {
                if (buf.size() + n > max_input)
                        throw error("input is larger than 1 MiB");
                buf.append(chunk, n);
        }
        if (std::ferror(f))
                throw error(std::string("read: ") + std::strerror(errno));
        return buf;
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
        // to_chars gives the shortest text that reads back as the same double.
        char buf[64];
        auto r = std::to_chars(buf, buf + sizeof(buf), d);
        std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
        out += s;
        // jansson reads "1" as an integer: keep a TOML float a JSON real.
        if (s.find_first_of(".eE") == std::string_view::npos)
                out += ".0";
}

// Dates and times print in RFC 3339 form through toml++'s own operator<<.
template <typename T> void put_streamed(std::string &out, const T &v)
{
        std::ostringstream ss;
        ss << v;
        put_string(out, ss.str());
}

void put_node(std::string &out, const toml::node &node, int depth)
{
        if (depth > max_depth)
                throw error("nesting is deeper than " + std::to_string(max_depth));
        node.visit([&](auto &&n) {
                using T = std::decay_t<decltype(n)>;
                if constexpr (std::is_same_v<T, toml::table>) {
                        out += '{';
                        bool first = true;
                        for (auto &&[k, v] : n) {
                                if (!first)
                                        out += ',';
                                first = false;
                                put_string(out, k.str());
                                out += ':';
                                put_node(out, v, depth + 1);
                        }
                        out += '}';
                } else if constexpr (std::is_same_v<T, toml::array>) {
                        out += '[';
                        for (size_t i = 0; i < n.size(); i++) {
                                if (i)
                                        out += ',';
                                put_node(out, n[i], depth + 1);
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
                        put_streamed(out, n.get());  // date, time, date_time
                }
        });
}

int usage(std::FILE *f, int code)
{
        std::fputs("Usage: nucleus-toml2json [--name DISPLAYNAME] [FILE]\n"
                   "Converts TOML (FILE, or standard input if absent or -) to one line of JSON.\n",
                   f);
        return code;
}

int run(int argc, char **argv)
{
        const char *name = nullptr, *file = nullptr;

        for (int i = 1; i < argc; i++) {
                std::string_view a = argv[i];
                if (a == "-h" || a == "--help")
                        return usage(stdout, 0);
                if (a == "--name" && i + 1 < argc)
                        name = argv[++i];
                else if (a.rfind("--name=", 0) == 0)
                        name = argv[i] + 7;
                else if ((a.size() > 1 && a[0] == '-') || file)
                        return usage(stderr, 2);  // also catches a --name without value
                else
                        file = argv[i];
        }
        if (file && std::strcmp(file, "-") == 0)
                file = nullptr;
        if (!name)
                name = file ? file : "stdin";

        std::FILE *f = file ? std::fopen(file, "rb") : stdin;
        if (!f)
                throw error(std::string(file) + ": " + std::strerror(errno));
        std::string text;
        try {
                text = read_all(f);
        } catch (...) {
                if (file)
                        std::fclose(f);
                throw;
        }
        if (file)
                std::fclose(f);

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

struct job {
        int argc;
        char **argv;
        int code;
};

void *run_job(void *arg)
{
        auto *j = static_cast<job *>(arg);
        j->code = 1;
        try {
                j->code = run(j->argc, j->argv);
        } catch (const std::exception &e) {
                std::fprintf(stderr, "nucleus-toml2json: %s\n", e.what());
        } catch (...) {
                std::fprintf(stderr, "nucleus-toml2json: unexpected error\n");
        }
        return nullptr;
}

} // namespace

// toml++ recurses once per level while it parses and frees a document and does not
// limit dotted keys (a.b.c...), so 1 MiB of them overflows an 8 MiB stack. The work
// runs on a thread whose stack is large enough for the largest accepted input; the
// memory is only touched by such an input.
int main(int argc, char **argv)
{
        job j{ argc, argv, 1 };
        pthread_attr_t attr;
        pthread_t t;
        size_t mib = getenv("STK") ? atoi(getenv("STK")) : 512;

        if (pthread_attr_init(&attr) == 0 && pthread_attr_setstacksize(&attr, mib << 20) == 0 &&
            pthread_create(&t, &attr, run_job, &j) == 0)
                pthread_join(t, nullptr);
        else
                run_job(&j);  // no room for the big stack: ordinary input still fits
        return j.code;
}
