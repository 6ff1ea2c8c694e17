// MapOptions: how Client::map, map_items, starmap, imap and
// imap_unordered spread their inputs over tasks. No msgpack here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "tq/export.h"
#include "tq/raw_client.h"

namespace tq {

// window and chunksize work together: inputs go to tqd in chunks of
// `chunksize` per task, and at most `window` inputs are in flight, so a
// chunk never holds more than `window` inputs and about window / chunksize
// tasks run side by side. To keep W workers busy, let the window hold a
// few chunks per worker.
struct MapOptions {
  // Most inputs in flight: submitted and not yet handed back to you (in
  // map's result, or as the item an imap loop is given). Bounds the memory
  // on both sides, and how far ahead a lazily produced range is read.
  //   0 (auto): 65536 when inputs go in chunks; 1000 when each is a task of
  //             its own (each is then an entry in tqd's queue, which holds
  //             --max-queued, 100000 by default, for every client).
  std::size_t window = 0;
  // Inputs per task, as Python's chunksize: one task runs fn on each input
  // of its chunk in turn, which saves the round trip per input when fn is
  // quick. Each input still gets its own value or error; but the task's
  // options (timeout, retries) apply to the whole chunk, and a worker that
  // dies fails every input of its chunk.
  //   0 (auto): 1 if submit.timeout is set (a timeout is meant per input)
  //             or the range has no size(); else sized chunk by chunk from
  //             measured times (detail::ChunkSizer): about 3 ms of work
  //             each, between 1 and 8192, at most window / 8 (8 chunks fit
  //             in the window), shrinking towards the end so that the
  //             workers finish together. At most 4 tasks per worker are
  //             then in flight.
  //   N:        N inputs per task, at most `window`.
  std::size_t chunksize = 0;
  // Applied to every task of the map (its key, if any, is ignored: one key
  // cannot name many tasks). Its `ack` is ignored too: the map never hands
  // out task ids, so its submits are ack-less (SubmitOptions::ack), unless
  // `group` or `pipe` needs the ids.
  SubmitOptions submit;
};

namespace detail {

// The chunk size MapOptions gives for n inputs (nullopt: not known), or 0
// when the map sizes each chunk as it goes (ChunkSizer).
TQ_EXPORT std::size_t ChunkSize(const MapOptions& options,
                                std::optional<std::size_t> n);
// The window MapOptions gives with that chunk size (>= chunksize).
TQ_EXPORT std::size_t Window(const MapOptions& options, std::size_t chunksize);

// A chunk's args: room for an array32 header, filled in by EndChunk
// once the count is known (array32 is valid msgpack for any count).
inline void BeginChunk(std::string& args) { args.assign(5, '\xdd'); }
TQ_EXPORT void EndChunk(std::string& args, std::size_t count);

}  // namespace detail
}  // namespace tq
