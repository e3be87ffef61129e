#pragma once
// A FAKE HTTP server on 127.0.0.1 (or ::1) for tests: it is not bitcoind. It accepts connections on an
// ephemeral port, reads each HTTP/1.1 request (headers + Content-Length body), and answers with
// whatever the test's script returns, byte for byte, so tests can produce answers a real node
// gives (401 with an empty body, 500 with a JSON error) and broken ones a real node rarely gives
// (truncated bodies, garbage, silence). Plain POSIX sockets, independent of the code under test.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kb::bitcoin::testing {

struct ReceivedRequest {
  std::string method;  // HTTP verb
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int connection = 0;  // 1 for the first accepted connection, 2 for the next, ...
};

struct ScriptedReply {
  std::string raw;                     // sent as is
  std::chrono::milliseconds delay{0};  // waited before sending
  bool close_after = false;            // close the connection after sending
};

// A well-formed answer with Content-Length and keep-alive.
ScriptedReply http_reply(int status, std::string body, std::string content_type = "application/json");
// bitcoind's JSON-RPC envelopes.
std::string rpc_result(const std::string& result_json, const std::string& id_json = "1");
std::string rpc_error(int code, const std::string& message, const std::string& id_json = "1");
// The "id" of a JSON-RPC request body, as JSON text (for echoing it back).
std::string request_id(const std::string& body);
// The "method" of a JSON-RPC request body.
std::string request_method(const std::string& body);

enum class Loopback { ipv4, ipv6 };  // 127.0.0.1 or ::1

class ScriptedHttpPeer {
 public:
  using Script = std::function<ScriptedReply(const ReceivedRequest&)>;
  // Throws std::runtime_error when the loopback address cannot be bound (no IPv6 on the machine).
  explicit ScriptedHttpPeer(Script script, Loopback loopback = Loopback::ipv4);
  ~ScriptedHttpPeer();
  ScriptedHttpPeer(const ScriptedHttpPeer&) = delete;
  ScriptedHttpPeer& operator=(const ScriptedHttpPeer&) = delete;

  std::uint16_t port() const { return port_; }
  std::vector<ReceivedRequest> requests() const;
  int connections_accepted() const { return connections_.load(); }
  // Closes every open connection (the server side of a keep-alive timeout).
  void drop_connections();

 private:
  void accept_loop();
  void serve(int fd, int connection);

  Script script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// A loopback port on which nothing listens (bound, then closed).
std::uint16_t unused_port();

}  // namespace kb::bitcoin::testing

namespace kb::bitcoin::testing {
// A loopback listener that never accepts and whose accept queue is already full, so that the
// kernel drops further SYNs and a new connect() hangs until the client's own timeout.
class UnansweredListener {
 public:
  UnansweredListener();
  ~UnansweredListener();
  UnansweredListener(const UnansweredListener&) = delete;
  UnansweredListener& operator=(const UnansweredListener&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int listen_fd_ = -1;
  std::vector<int> fillers_;
  std::uint16_t port_ = 0;
};

// A temporary file that is removed with this object.
class TemporaryFile {
 public:
  explicit TemporaryFile(const std::string& content);
  ~TemporaryFile();
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::string& path() const { return path_; }
  void write(const std::string& content) const;
  void remove() const;

 private:
  std::string path_;
};
}  // namespace kb::bitcoin::testing
