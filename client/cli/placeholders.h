// GNU parallel's replacement strings, for `tq map -- CMD {} ...`.
//
//   {}    the input item            photos/cat.jpg
//   {/}   its basename              cat.jpg
//   {.}   without its extension     photos/cat
//   {/.}  basename, no extension    cat
//   {//}  its directory             photos   ("." when it has none)
//   {#}   the job's number, from 1
//
// As in parallel, a command with no replacement string gets the item
// appended as its last argument. Pure functions; no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tq::cli {

// The argv for one item: each word of `command` with its replacement
// strings expanded.
std::vector<std::string> ExpandCommand(const std::vector<std::string>& command,
                                       const std::string& item, std::size_t job);

// True if any word of `command` holds a replacement string.
bool HasPlaceholder(const std::vector<std::string>& command);

}  // namespace tq::cli
