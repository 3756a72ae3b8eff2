// SPDX-License-Identifier: Apache-2.0
// TOML text to one line of JSON: the conversion of nucleus-toml2json, in a file of its
// own so that the TOML fuzz target runs exactly this code.
#pragma once

#include <string>
#include <string_view>

namespace nucleus {

// True with `out` set to the JSON and a newline; false with `err` set to
// "NAME:LINE:COLUMN: description" for a TOML syntax error. Throws std::runtime_error
// for what the JSON cannot carry (inf, nan, a NUL in a string) or a document nested
// deeper than 512 levels.
bool toml_to_json(std::string_view text, std::string_view name, std::string &out, std::string &err);

} // namespace nucleus
