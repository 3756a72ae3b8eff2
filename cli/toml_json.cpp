// SPDX-License-Identifier: Apache-2.0
// Keys come out sorted: toml::table is an ordered map and keeps no insertion order.
#include "toml_json.h"

#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <toml++/toml.h>

namespace {

// No policy nests this deep; a clear error beats a JSON document jansson refuses.
constexpr int max_depth = 512;

using error = std::runtime_error;

void put_string(std::string &out, std::string_view s)
{
        out += '"';
        for (unsigned char c : s) {
                // JSON could carry it as \u0000, but jansson (and C strings after it)
                // cannot: refuse it here, by name, rather than fail later without a word.
                if (c == 0)
                        throw error("a string holds a NUL character (\\u0000), which no policy can use");
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

} // namespace

namespace nucleus {

bool toml_to_json(std::string_view text, std::string_view name, std::string &out, std::string &err)
{
        toml::table doc;
        try {
                doc = toml::parse(text, name);
        } catch (const toml::parse_error &e) {
                err = std::string(name) + ":" + std::to_string(e.source().begin.line) + ":" +
                      std::to_string(e.source().begin.column) + ": " + std::string(e.description());
                return false;
        }
        out.clear();
        try {
                put_node(out, doc, 0);
        } catch (const error &e) {
                throw error(std::string(name) + ": " + e.what());       // which file, as for a syntax error
        }
        out += '\n';
        return true;
}

} // namespace nucleus
