#include "tools/cli/config_file.h"

#include <google/protobuf/util/time_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

using google::protobuf::util::TimeUtil;
using plaza::cli::CliConfig;
using plaza::cli::ConfigStore;

namespace {

// A fresh directory under the system's temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "plaza-cli-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

CliConfig Sample() {
  CliConfig config;
  config.set_server("127.0.0.1:7000");
  config.set_device_id("cli-0123456789abcdef");
  config.set_user_id(1234567890123456789);
  config.set_session_id(42);
  config.set_access_token("access \"token\"");
  *config.mutable_access_token_expire_time() = TimeUtil::SecondsToTimestamp(1'800'000'900);
  config.set_refresh_token("refresh");
  config.set_sync_cursor("cursor==");
  return config;
}

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

}  // namespace

TEST_CASE("The config path follows PLAZA_CONFIG, then XDG_CONFIG_HOME, then HOME",
          "[cli][config]") {
  using plaza::cli::ResolveConfigPath;
  CHECK(*ResolveConfigPath("/tmp/a.json", "/x", "/home/mei") == "/tmp/a.json");
  CHECK(*ResolveConfigPath(nullptr, "/x", "/home/mei") == "/x/plaza/config.json");
  CHECK(*ResolveConfigPath("", "", "/home/mei") == "/home/mei/.config/plaza/config.json");
  CHECK_FALSE(ResolveConfigPath(nullptr, nullptr, nullptr).ok());
}

TEST_CASE("The server is the flag, else PLAZA_SERVER, else the last login's, else the default",
          "[cli][config]") {
  using plaza::cli::ResolveServer;
  CliConfig config;
  CHECK(ResolveServer(std::nullopt, nullptr, config) == "127.0.0.1:7000");
  config.set_server("saved:1");
  CHECK(ResolveServer(std::nullopt, nullptr, config) == "saved:1");
  CHECK(ResolveServer(std::nullopt, "env:2", config) == "env:2");
  CHECK(ResolveServer(std::string("flag:3"), "env:2", config) == "flag:3");
}

TEST_CASE("The config round-trips through its JSON text", "[cli][config]") {
  std::string json = plaza::cli::SerializeConfig(Sample());
  CHECK(json.find("\"device_id\": \"cli-0123456789abcdef\"") != std::string::npos);
  CHECK(json.find("\"access_token_expire_time\": \"2027-01-15T08:15:00Z\"") != std::string::npos);
  auto parsed = plaza::cli::ParseConfig(json);
  REQUIRE(parsed.ok());
  CHECK(parsed->SerializeAsString() == Sample().SerializeAsString());
}

TEST_CASE("Unknown fields are ignored; broken files are refused", "[cli][config]") {
  auto parsed = plaza::cli::ParseConfig(R"({"server":"a:1","from_the_future":true})");
  REQUIRE(parsed.ok());
  CHECK(parsed->server() == "a:1");
  auto broken = plaza::cli::ParseConfig("{\"server\":");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("A missing file is an empty config", "[cli][config]") {
  TempDir dir;
  auto config = plaza::cli::ReadConfigFile(dir / "absent.json");
  REQUIRE(config.ok());
  CHECK(config->ByteSizeLong() == 0);
}

TEST_CASE("Writing creates directories 0700 and a file 0600, and replaces it whole",
          "[cli][config]") {
  TempDir dir;
  std::string path = dir / "nested/plaza/config.json";
  ::umask(0022);
  REQUIRE(plaza::cli::WriteConfigFile(path, Sample()).ok());
  CHECK(ModeOf(path) == 0600);
  CHECK(ModeOf(dir / "nested/plaza") == 0700);
  CHECK(plaza::cli::ReadConfigFile(path)->SerializeAsString() == Sample().SerializeAsString());

  // An existing file that others could read is replaced by a new private one.
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  CliConfig changed = Sample();
  changed.set_sync_cursor("next");
  REQUIRE(plaza::cli::WriteConfigFile(path, changed).ok());
  CHECK(ModeOf(path) == 0600);
  CHECK(plaza::cli::ReadConfigFile(path)->sync_cursor() == "next");
  // No temporary file is left behind.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(dir / "nested/plaza")) {
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("A write that cannot happen reports the path and leaves nothing", "[cli][config]") {
  TempDir dir;
  std::ofstream(dir / "file") << "not a directory";
  auto written = plaza::cli::WriteConfigFile(dir / "file/config.json", Sample());
  REQUIRE_FALSE(written.ok());
  CHECK(std::string(written.message()).find("file") != std::string::npos);
}

TEST_CASE("Update edits under a lock and writes only what changed", "[cli][config]") {
  TempDir dir;
  ConfigStore store(dir / "config.json");
  REQUIRE(store
              .Update([](CliConfig& config) {
                config.set_server("a:1");
                return absl::OkStatus();
              })
              .ok());
  CHECK(store.Load()->server() == "a:1");

  auto refused = store.Update([](CliConfig& config) {
    config.set_server("b:2");
    return absl::CancelledError("changed my mind");
  });
  CHECK(refused.status().code() == absl::StatusCode::kCancelled);
  CHECK(store.Load()->server() == "a:1");

  // Concurrent updates from many threads (each with its own lock file descriptor, as separate
  // processes have) lose nothing.
  // Catch2 assertions are not thread-safe, so the threads only count failures.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        auto updated = store.Update([](CliConfig& config) {
          config.set_session_id(config.session_id() + 1);
          return absl::OkStatus();
        });
        if (!updated.ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(store.Load()->session_id() == 80);
}

TEST_CASE("An access token is usable until a margin before it expires", "[cli][config]") {
  using std::chrono::seconds;
  CliConfig config = Sample();
  auto expiry = std::chrono::system_clock::time_point(seconds(1'800'000'900));
  CHECK(plaza::cli::AccessTokenUsable(config, expiry - seconds(16)));
  CHECK_FALSE(plaza::cli::AccessTokenUsable(config, expiry - seconds(15)));
  CHECK_FALSE(plaza::cli::AccessTokenUsable(config, expiry + seconds(1)));
  config.clear_access_token();
  CHECK_FALSE(plaza::cli::AccessTokenUsable(config, expiry - seconds(3600)));
}
