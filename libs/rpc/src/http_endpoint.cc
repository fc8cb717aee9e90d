#include "plaza/rpc/http_endpoint.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "plaza/core/status.h"

namespace plaza::rpc {

HttpEndpoint::HttpEndpoint(MetricsSource metrics, HealthSource healthy)
    : metrics_(std::move(metrics)), healthy_(std::move(healthy)) {}

HttpEndpoint::~HttpEndpoint() { Stop(); }

absl::Status HttpEndpoint::Start(const std::string& host, int port) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listener_, 16) != 0) {
    std::string reason = std::strerror(errno);
    close(listener_);
    listener_ = -1;
    return Unavailable("METRICS_BIND_FAILED",
                       "cannot listen on " + host + ":" + std::to_string(port) + ": " + reason);
  }
  socklen_t length = sizeof(address);
  getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  if (pipe2(wake_, O_CLOEXEC) != 0) return Internal("PIPE_FAILED", "cannot create a pipe");
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void HttpEndpoint::Stop() {
  if (thread_.joinable()) {
    char byte = 0;
    (void)!write(wake_[1], &byte, 1);
    thread_.join();
  }
  for (int* fd : {&listener_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

void HttpEndpoint::Loop() {
  pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  while (poll(fds, 2, -1) >= 0 || errno == EINTR) {
    if (fds[1].revents != 0) return;
    if (fds[0].revents & POLLIN) {
      int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        Serve(client);
        close(client);
      }
    }
  }
}

void HttpEndpoint::Serve(int client) {
  timeval timeout{1, 0};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  char buffer[2048];
  ssize_t n = recv(client, buffer, sizeof(buffer) - 1, 0);
  if (n <= 0) return;
  std::string_view request(buffer, static_cast<size_t>(n));
  std::string status = "404 Not Found";
  std::string body = "not found\n";
  std::string type = "text/plain";
  if (request.starts_with("GET /metrics ")) {
    status = "200 OK";
    body = metrics_();
    type = "text/plain; version=0.0.4";
  } else if (request.starts_with("GET /healthz ")) {
    bool healthy = healthy_();
    status = healthy ? "200 OK" : "503 Service Unavailable";
    body = healthy ? "SERVING\n" : "NOT_SERVING\n";
  }
  std::string response = "HTTP/1.0 " + status + "\r\nContent-Type: " + type +
                         "\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
  size_t sent = 0;
  while (sent < response.size()) {
    ssize_t wrote = send(client, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (wrote <= 0) return;
    sent += static_cast<size_t>(wrote);
  }
}

}  // namespace plaza::rpc
