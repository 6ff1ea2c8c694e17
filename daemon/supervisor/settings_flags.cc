// The settings' flags on CLI11.
#include "settings_flags.h"

#include <CLI/CLI.hpp>
#include <memory>

#include "setting_values.h"
#include "settings.h"
#include "settings_doc.h"

namespace tq::daemon {
namespace {

using proto::ErrorCode;
using proto::Status;

// Prints "--capture-stacks,--no-capture-stacks{false}" as
// "--[no-]capture-stacks".
class Formatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool positional) const override {
    const std::vector<std::string>& names = opt->get_lnames();
    if (!positional && opt->get_items_expected() == 0 && names.size() == 2 &&
        names[1] == "no-" + names[0]) {
      return "--[no-]" + names[0];
    }
    return CLI::Formatter::make_option_name(opt, positional);
  }
};

}  // namespace

SettingFlags::SettingFlags(CLI::App& app) : given_(Settings().size()) {
  auto formatter = std::make_shared<Formatter>();
  formatter->column_width(34);
  app.formatter(std::move(formatter));
  for (std::size_t i = 0; i < given_.size(); ++i) {
    const Setting& s = Settings()[i];
    Given& g = given_[i];
    g.setting = &s;
    const std::string names = s.flag_names();
    const std::string help = HelpText(s);
    switch (s.type) {
      case SettingType::kBool:
        g.option = app.add_flag(names, g.flag, help);
        break;
      case SettingType::kStringList:
        g.option = app.add_option(names, g.list, help)->option_text(Metavar(s) + " ...");
        break;
      default:
        g.option = app.add_option(names, g.text, help)
                       ->option_text(Metavar(s))
                       ->check([&s](const std::string& text) {
                         auto value = ParseSetting(s, RawValue{text});
                         return value.ok() ? std::string() : value.status().message();
                       });
        break;
    }
  }
}

Status SettingFlags::ApplyTo(Config* config) const {
  for (const Given& g : given_) {
    if (g.option->count() == 0) continue;
    RawValue raw = g.text;
    if (g.setting->type == SettingType::kBool) raw = g.flag;
    if (g.setting->type == SettingType::kStringList) raw = g.list;
    auto value = ParseSetting(*g.setting, raw);
    if (!value.ok()) {
      return {ErrorCode::kConfig,
              g.setting->long_flag() + ": " + value.status().message()};
    }
    g.setting->field.set(*config, *value);
  }
  return Status::Ok();
}

proto::Result<Config> LoadConfig(Config defaults, const std::string& config_file,
                                 const SettingFlags& flags) {
  Config c = std::move(defaults);
  c.config_file = config_file;
  if (!config_file.empty()) TQ_RETURN_IF_ERROR(ApplyConfigFile(config_file, &c));
  TQ_RETURN_IF_ERROR(flags.ApplyTo(&c));
  return c;
}

}  // namespace tq::daemon
