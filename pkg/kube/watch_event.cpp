#include "pkg/kube/watch_event.hpp"

#include "pkg/kube/errors.hpp"

#include <boost/json/stream_parser.hpp>

namespace kb::kube {
namespace json = boost::json;

std::string_view to_string(WatchEventType type) {
  switch (type) {
    case WatchEventType::Added:
      return "ADDED";
    case WatchEventType::Modified:
      return "MODIFIED";
    case WatchEventType::Deleted:
      return "DELETED";
    case WatchEventType::Bookmark:
      return "BOOKMARK";
    case WatchEventType::Error:
      return "ERROR";
  }
  return "UNKNOWN";
}

struct WatchDecoder::State {
  json::stream_parser parser;
  bool partial = false;  // the parser holds part of a value
};

WatchDecoder::WatchDecoder() : state_(std::make_unique<State>()) {}
WatchDecoder::~WatchDecoder() = default;
WatchDecoder::WatchDecoder(WatchDecoder&&) noexcept = default;
WatchDecoder& WatchDecoder::operator=(WatchDecoder&&) noexcept = default;

namespace {
WatchEvent to_event(json::value&& value) {
  auto* o = value.if_object();
  if (!o) throw KubeError("watch stream: an event is not a JSON object");
  auto* type = o->if_contains("type");
  if (!type || !type->is_string()) throw KubeError("watch stream: an event has no \"type\"");
  std::string_view t = type->as_string();
  WatchEventType kind;
  if (t == "ADDED")
    kind = WatchEventType::Added;
  else if (t == "MODIFIED")
    kind = WatchEventType::Modified;
  else if (t == "DELETED")
    kind = WatchEventType::Deleted;
  else if (t == "BOOKMARK")
    kind = WatchEventType::Bookmark;
  else if (t == "ERROR")
    kind = WatchEventType::Error;
  else
    throw KubeError("watch stream: unknown event type \"" + std::string(t.substr(0, 40)) + "\"");
  json::value object;
  if (auto* obj = o->if_contains("object")) object = std::move(*obj);
  return WatchEvent{kind, std::move(object)};
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
}  // namespace

void WatchDecoder::feed(std::string_view bytes, const std::function<void(WatchEvent&&)>& on_event) {
  auto& s = *state_;
  while (!bytes.empty()) {
    if (!s.partial) {
      // Skip the newlines between events so a stream ending in "\n" leaves no partial value.
      std::size_t skip = 0;
      while (skip < bytes.size() && is_space(bytes[skip])) ++skip;
      bytes.remove_prefix(skip);
      if (bytes.empty()) break;
    }
    json::error_code ec;
    std::size_t used = s.parser.write_some(bytes.data(), bytes.size(), ec);
    if (ec) {
      std::string excerpt(bytes.substr(0, std::min<std::size_t>(bytes.size(), 60)));
      s.parser.reset();
      s.partial = false;
      throw KubeError("watch stream: malformed JSON (" + ec.message() + ") near \"" + excerpt + "\"");
    }
    bytes.remove_prefix(used);
    if (s.parser.done()) {
      json::value value = s.parser.release();
      s.parser.reset();
      s.partial = false;
      on_event(to_event(std::move(value)));
    } else {
      s.partial = true;
    }
  }
}

bool WatchDecoder::has_partial() const { return state_->partial; }

}  // namespace kb::kube
