// TempDir: a unique directory under $TMPDIR (or /tmp), removed with all its
// contents on destruction. Paths stay short so ipc:// sockets fit in the
// 107-byte sun_path.
#pragma once

#include <string>
#include <vector>

namespace tq::testing {

// The lines of the file at `path` (none if it does not exist): what tasks
// that append to a file, such as `record`, ran.
std::vector<std::string> Lines(const std::string& path);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace tq::testing
