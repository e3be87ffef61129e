// The API server's watch stream (a sequence of {"type":...,"object":...} JSON objects) as
// WatchDecoder reads it, split into chunks anywhere as HTTP chunking and TCP reads split it.
// Input layout: the first byte seeds the chunk sizes (1 to 64 bytes), the rest is the stream.
// Properties checked beyond "no crash, no leak, no hang":
// - every failure is a KubeError;
// - the events, the failure and the partial state do not depend on where the stream is split
//   (the same bytes fed at once and in chunks give the same result).
#include "pkg/kube/errors.hpp"
#include "pkg/kube/watch_event.hpp"
#include "test/fuzz/fuzz_input.hpp"

#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace {
using namespace kb::kube;

struct Outcome {
  std::vector<std::string> events;  // "TYPE object-as-JSON"
  bool failed = false;
  bool partial = false;
};

template <typename Feed>
Outcome decode(Feed feed) {
  Outcome outcome;
  WatchDecoder decoder;
  auto on_event = [&](WatchEvent&& event) {
    outcome.events.push_back(std::string(to_string(event.type)) + " " + boost::json::serialize(event.object));
  };
  try {
    feed(decoder, on_event);
    outcome.partial = decoder.has_partial();
  } catch (const KubeError&) {
    outcome.failed = true;
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  unsigned seed = data[0];
  std::string_view stream = kb::fuzz::as_text(data + 1, size - 1);

  Outcome whole = decode([&](WatchDecoder& decoder, const auto& on_event) { decoder.feed(stream, on_event); });
  Outcome chunked = decode([&](WatchDecoder& decoder, const auto& on_event) {
    std::size_t at = 0;
    unsigned state = seed * 2654435761u + 1;
    while (at < stream.size()) {
      state = state * 1103515245u + 12345u;
      std::size_t n = 1 + (state >> 16) % 64;
      decoder.feed(stream.substr(at, n), on_event);
      at += n;
    }
  });
  if (whole.failed != chunked.failed) kb::fuzz::finding("one feed failed and chunked feeds did not, or vice versa");
  if (whole.events != chunked.events) kb::fuzz::finding("chunked feeds gave other events than one feed");
  if (!whole.failed && whole.partial != chunked.partial) kb::fuzz::finding("has_partial depends on the chunking");
  return 0;
}
