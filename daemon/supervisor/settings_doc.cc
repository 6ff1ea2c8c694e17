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

}  // namespace

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
