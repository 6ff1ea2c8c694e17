// Thumbnails every JPEG of a folder through tqd: the classic
// `Pool().map(create_thumbnail, images)`, with the pool as a service.
//
//   tqd --plugin build/lib/libtq_thumbnail_tasks.so &
//   build/bin/tq-thumbnail-folder photos thumbs 75
//
// Paths are made absolute because tqd's workers open them. A broken image
// does not stop the others: each is reported on stderr with the task's
// error, which names the file, and the exit status is 1 if any failed.
#include <tq/client.h>

#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

struct Thumbnail {  // what the thumbnail task returns
  int width = 0, height = 0;
  long bytes = 0;
  MSGPACK_DEFINE_MAP(width, height, bytes)
};

// "thumbnail.ImageError: /abs/photos/x.jpg: not a JPEG file" for a failed
// task, else what the error says (a lost connection...).
std::string Why(const tq::Error& e) {
  if (const auto* remote = dynamic_cast<const tq::RemoteError*>(&e)) {
    return remote->type() + ": " + remote->message();
  }
  return e.what();
}

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
  std::size_t made = 0, failed = 0;
  long bytes = 0;
  // Each image's outcome as it finishes; a failed one is an item with
  // !ok(), and the loop goes on with the rest.
  for (const auto& item : client.imap_unordered<Thumbnail>("thumbnail", jobs)) {
    if (item.ok()) {
      ++made;
      bytes += item.value().bytes;
    } else {
      ++failed;
      std::cerr << "tq-thumbnail-folder: " << std::get<0>(jobs[item.index]) << ": "
                << Why(*item.error()) << "\n";
    }
  }
  std::cout << made << " thumbnails, " << bytes << " bytes";
  if (failed != 0) std::cout << "; " << failed << " failed";
  std::cout << "\n";
  return failed == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "tq-thumbnail-folder: " << e.what() << "\n";
  return 1;
}
