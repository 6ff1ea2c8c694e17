// --help texts and the README's table, from the settings table.
#include "settings_doc.h"

#include <string_view>

#include "setting_values.h"

namespace tq::daemon {
namespace {

std::string OnSighup(OnReload reload) {
  switch (reload) {
    case OnReload::kApplies:
      return "applies";
    case OnReload::kNewWorkers:
      return "new workers";
    case OnReload::kRestart:
      return "restart";
  }
  return "";
}

// `--[no-]capture-stacks`, or each name of the flag in backquotes.
std::string FlagCell(const Setting& s) {
  if (s.type == SettingType::kBool) return "`--[no-]" + s.long_flag().substr(2) + "`";
  std::string cell;
  const std::string names = s.flag_names();
  for (std::size_t start = 0; start <= names.size();) {
    std::size_t comma = names.find(',', start);
    if (comma == std::string::npos) comma = names.size();
    cell += (cell.empty() ? "`" : ", `") + names.substr(start, comma - start) + "`";
    start = comma + 1;
  }
  return cell;
}

std::string Cell(std::string text) {
  for (std::size_t at = text.find('|'); at != std::string::npos;
       at = text.find('|', at + 2)) {
    text.insert(at, 1, '\\');
  }
  return text;
}

// What a SIGHUP does, as the example file says it.
std::string_view WhenItApplies(OnReload reload) {
  switch (reload) {
    case OnReload::kApplies: return "at once";
    case OnReload::kNewWorkers: return "new workers";
    case OnReload::kRestart: return "restart";
  }
  return "";
}

// A TOML literal of `value`: durations and sizes as the strings a user
// writes ("10s", "256MiB"), the rest as themselves.
std::string TomlLiteral(const Setting& s, const SettingValue& value) {
  auto quoted = [](const std::string& text) {
    std::string out(1, '"');
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out += '"';
  };
  switch (s.type) {
    case SettingType::kCount:
    case SettingType::kBool:
      return FormatValue(s, value);
    case SettingType::kBytes:
    case SettingType::kDuration: {
      const std::string text = FormatValue(s, value);
      return text == "0" ? text : quoted(text);
    }
    case SettingType::kString:
    case SettingType::kChoice:
      return quoted(FormatValue(s, value));
    case SettingType::kStringList: {
      std::string out(1, '[');
      for (const std::string& item : std::get<std::vector<std::string>>(value)) {
        if (out.size() > 1) out += ", ";
        out += quoted(item);
      }
      return out += ']';
    }
  }
  return "";
}

// `text` as comment lines of at most 79 columns.
std::string Commented(std::string_view text) {
  std::string out;
  std::size_t line_start = 0;  // where the line being filled starts in `out`
  out.push_back('#');
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    const std::size_t line_size = out.size() - line_start;
    if (line_size + 1 + word.size() > 79 && line_size > 1) {
      out.push_back('\n');
      line_start = out.size();
      out.push_back('#');
    }
    out.push_back(' ');
    out.append(word);
    start = end + 1;
  }
  out.push_back('\n');
  return out;
}

}  // namespace

std::string SettingsToml() {
  std::string toml =
      "# tqd.toml: an example configuration for tqd, the tq task-queue daemon.\n"
      "# Written by `tqd --print-settings=toml` from the table of settings that also\n"
      "# makes `tqd --help` and README.md's table, so it names every setting.\n"
      "#\n"
      "# Start tqd with `tqd --config /etc/tq/tqd.toml` (copy this file there and\n"
      "# edit it). Every key is also a flag of the same name with '-' for '_'\n"
      "# (max_queued = --max-queued); a flag given on the command line wins over\n"
      "# the file. SIGHUP re-reads the file; the comment on each key says when a\n"
      "# change takes effect: at once, for workers started afterwards, or only\n"
      "# after a restart.\n"
      "#\n"
      "# Each key below is commented out and shows its default (or an example,\n"
      "# where the default depends on the machine). Sizes are bytes or a number\n"
      "# with a unit (B, KiB, MiB, GiB, TiB, or KB, MB, GB, TB); durations are\n"
      "# seconds or a number with a unit (ms, s, m, h, d).\n";
  const Config defaults;
  for (const Setting& s : Settings()) {
    std::string help = HelpText(s);
    help.append(" (").append(WhenItApplies(s.reload)).append(")");
    toml.push_back('\n');
    toml.append(Commented(help));
    toml.push_back('#');
    toml.append(s.name).append(" = ");
    if (s.example.empty()) {
      toml.append(TomlLiteral(s, s.field.get(defaults)));
    } else {
      toml.append(s.example);
    }
    toml.push_back('\n');
  }
  return toml;
}

std::string Metavar(const Setting& s) {
  if (!s.metavar.empty()) return std::string(s.metavar);
  std::string words(TextOf(s.type).metavar);
  for (std::string_view c : s.choices) {
    if (!words.empty()) words += '|';
    words += c;
  }
  return words;
}

std::string HelpText(const Setting& s) {
  std::string text = std::string(s.help) + ". Default: " + DefaultText(s);
  // A choice's words are the metavar already.
  if (const std::string range = RangeText(s);
      !range.empty() && s.type != SettingType::kChoice) {
    text += "; " + range;
  }
  return text + ".";
}

std::string SettingsMarkdown() {
  std::string md =
      "| key | flag | value | default | on SIGHUP | meaning |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const Setting& s : Settings()) {
    std::string value(TextOf(s.type).name);
    if (const std::string range = RangeText(s); !range.empty()) {
      value += (value.empty() ? "" : ", ") + range;
    }
    md += "| `" + std::string(s.name) + "` | " + FlagCell(s) + " | " + Cell(value) +
          " | " + Cell(DefaultText(s)) + " | " + OnSighup(s.reload) + " | " +
          Cell(std::string(s.help)) + " |\n";
  }
  return md;
}

}  // namespace tq::daemon
