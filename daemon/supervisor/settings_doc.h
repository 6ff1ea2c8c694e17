// The settings table as people read it: each flag's --help text and the
// README's table (`tqd --print-settings=markdown`), both printed from the
// rows of settings.cc, so neither can disagree with what tqd accepts.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "settings.h"

namespace tq::daemon {

// The flag's word for its value: "N", "SIZE", "DURATION", "on|off", the
// row's own metavar; "" for a bool.
std::string Metavar(const Setting& setting);

// "Number of worker processes. Default: the CPU count; 1 to 1024."
std::string HelpText(const Setting& setting);

// The README's table of settings, GitHub Markdown, one row per setting,
// ending with a newline.
std::string SettingsMarkdown();

// The example config file (systemd/tqd.toml, `tqd --print-settings=toml`):
// every setting, commented out, with its help, its default and what a
// SIGHUP does with it.
std::string SettingsToml();

}  // namespace tq::daemon
