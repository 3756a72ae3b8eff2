// SPDX-License-Identifier: Apache-2.0
// Fuzzes the TOML side of the capability and Landlock policy loaders, end to end as
// the CLI and nucleusd run them: nucleus-toml2json's conversion (toml++), whose output
// must always be JSON that jansson accepts, then both policy decoders on that JSON.
// (fuzz_policy.c fuzzes the decoders and the seccomp profile on raw JSON.)
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "toml_json.h"

extern "C" int fuzz_toml_decode(const char *json, size_t len);    // fuzz_toml_decode.c

// toml++ recurses once per nesting level (dotted keys are unbounded) and the real
// helper runs on a 512 MiB stack for its 1 MiB inputs; policies are a few hundred
// bytes, so the fuzzer keeps to inputs whose recursion fits its own stack.
constexpr size_t max_len = 16384;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        std::string out, err;

        if (size > max_len)
                return 0;
        try {
                if (!nucleus::toml_to_json(std::string_view(reinterpret_cast<const char *>(data), size), "fuzz", out, err))
                        return 0;
        } catch (const std::runtime_error &) {
                return 0;       // inf/nan or too deep: refused with a message, by design
        }
        if (fuzz_toml_decode(out.data(), out.size()) < 0)
                __builtin_trap();       // the helper printed something nucleus cannot read
        return 0;
}
