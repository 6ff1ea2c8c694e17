// Thumbnails every JPEG of a folder through tqd: the classic
// `Pool().map(create_thumbnail, images)`, with the pool as a service.
//
//   tqd --plugin build/lib/libtq_thumbnail_tasks.so &
//   build/bin/tq-thumbnail-folder photos thumbs 75
//
// Paths are made absolute because tqd's workers open them. A failed image
// ends the program with the task's error, which names the file.
#include <tq/client.h>

#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

struct Thumbnail {  // what the thumbnail task returns
  int width = 0, height = 0;
  long bytes = 0;
  MSGPACK_DEFINE_MAP(width, height, bytes)
};

int main(int argc, char** argv) try {
  if (argc < 3) throw std::invalid_argument("usage: IN_DIR OUT_DIR [SIZE]");
  fs::create_directories(argv[2]);
  const fs::path in = fs::canonical(argv[1]), out = fs::canonical(argv[2]);
  const int size = argc > 3 ? std::stoi(argv[3]) : 75;

  // One job per image: thumbnail([src, dst, size]).
  std::vector<std::tuple<std::string, std::string, int>> jobs;
  for (const fs::directory_entry& file : fs::directory_iterator(in)) {
    const fs::path ext = file.path().extension();
    if (ext == ".jpg" || ext == ".jpeg") {
      jobs.emplace_back(file.path(), out / file.path().filename(), size);
    }
  }
  tq::Client client;  // $TQ_ENDPOINT, else the default socket
  const auto thumbs = client.map<Thumbnail>("thumbnail", jobs);

  long bytes = 0;
  for (const Thumbnail& t : thumbs) bytes += t.bytes;
  std::cout << thumbs.size() << " thumbnails, " << bytes << " bytes\n";
} catch (const std::exception& e) {
  std::cerr << "tq-thumbnail-folder: " << e.what() << "\n";
  return 1;
}
