// The article's Pool programs: apply_async over ten tasks that sleep a
// random while, then map over images. The pool's processes are tqd's
// workers (Python's Pool(5) is `tqd --workers 5`).
//
//   build/bin/tq-seed-pool [IMAGE_DIR]
//
// Without IMAGE_DIR it makes four small PGM images in a temporary folder
// (and removes them), so that it runs anywhere; with one, it describes the
// .pgm and .ppm files there. The tasks read the files: tqd's workers must
// be on this machine and allowed to read them.
#include <tq/client.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// A width x height grey gradient, as a binary PGM.
void WritePgm(const fs::path& path, int width, int height) {
  std::ofstream out(path, std::ios::binary);
  out << "P5\n" << width << " " << height << "\n255\n";
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) out.put(static_cast<char>((x + y) % 256));
  }
}

}  // namespace

int main(int argc, char** argv) {
  tq::Client client;
  {
    tq::Pool pool(client);
    std::vector<tq::AsyncResult<std::string>> results;
    for (int i = 0; i < 10; ++i) results.push_back(pool.apply_async<std::string>("seed_work", i));
    for (auto& r : results) std::cout << r.get() << "\n";
    pool.close();
    pool.join();
  }

  fs::path dir;
  bool made = false;
  if (argc > 1) {
    dir = argv[1];
  } else {
    std::string pattern = (fs::temp_directory_path() / "tq-seed-images-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return 1;
    dir = pattern;
    made = true;
    const int sizes[][2] = {{640, 480}, {320, 240}, {1024, 768}, {64, 64}};
    for (int i = 0; i < 4; ++i) {
      WritePgm(dir / ("image" + std::to_string(i) + ".pgm"), sizes[i][0], sizes[i][1]);
    }
  }
  std::vector<std::string> paths;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".pgm" || e.path().extension() == ".ppm") {
      paths.push_back(fs::absolute(e.path()).string());
    }
  }
  std::sort(paths.begin(), paths.end());
  tq::Pool pool(client);
  for (const std::string& line : pool.map<std::string>("seed_describe_image", paths)) {
    std::cout << line << "\n";
  }
  pool.close();
  pool.join();
  if (made) fs::remove_all(dir);
  return 0;
}
