// detail::TypeName and detail::ErrorIn, for the messages of typed results.
#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string_view>
#include <string>
#include <typeinfo>

#include "tq/errors.h"

namespace tq::detail {
namespace {

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// Drops ", std::allocator<...>" (and the space before a closing '>' it
// leaves): the default arguments a reader never wrote.
void DropAllocators(std::string& s) {
  constexpr std::string_view kAlloc = ", std::allocator<";
  for (std::size_t at = s.find(kAlloc); at != std::string::npos; at = s.find(kAlloc, at)) {
    std::size_t end = at + kAlloc.size();
    for (int depth = 1; end < s.size() && depth > 0; ++end) {
      if (s[end] == '<') ++depth;
      if (s[end] == '>') --depth;
    }
    s.erase(at, end - at);
  }
  ReplaceAll(s, " >", ">");
}

}  // namespace

std::string TypeName(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
  std::string name = status == 0 && demangled ? demangled.get() : type.name();
  ReplaceAll(name, "std::__cxx11::", "std::");
  ReplaceAll(name, "std::basic_string<char, std::char_traits<char>, std::allocator<char> >",
             "std::string");
  DropAllocators(name);
  return name;
}

const Error* ErrorIn(const std::exception_ptr& e) noexcept {
  if (!e) return nullptr;
  // rethrow_exception throws the very object e refers to, so the address
  // caught stays valid as long as e (or a copy) lives.
  try {
    std::rethrow_exception(e);
  } catch (const Error& error) {
    return &error;
  } catch (...) {
  }
  return nullptr;
}

}  // namespace tq::detail
