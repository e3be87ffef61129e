#pragma once
// Watch events and the decoder that turns a watch response body into them.
//
// The body is a stream of JSON objects {"type": ..., "object": ...}; HTTP chunk boundaries and
// TCP reads split it anywhere, so WatchDecoder buffers partial objects across feed() calls.
#include "pkg/kube/object_meta.hpp"  // resource_version_of, for watchers

#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace kb::kube {

enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };

struct WatchEvent {
  WatchEventType type;
  boost::json::value object;  // the object, or a metav1.Status for Error
};

std::string_view to_string(WatchEventType type);

class WatchDecoder {
 public:
  WatchDecoder();
  ~WatchDecoder();
  WatchDecoder(WatchDecoder&&) noexcept;
  WatchDecoder& operator=(WatchDecoder&&) noexcept;

  // Feeds bytes; calls on_event for every event completed by them. Throws KubeError on malformed
  // JSON or an unknown event type (the message quotes at most a short prefix).
  void feed(std::string_view bytes, const std::function<void(WatchEvent&&)>& on_event);
  // True when a partial object is buffered (the stream ended mid-event).
  bool has_partial() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kb::kube
