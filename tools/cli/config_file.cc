#include "tools/cli/config_file.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "plaza/core/status.h"

namespace plaza::cli {
namespace {

using google::protobuf::util::TimeUtil;

constexpr std::string_view kConfigReason = "CONFIG_FILE";

bool IsSet(const char* value) { return value != nullptr && value[0] != '\0'; }

absl::Status FileError(std::string_view what, const std::string& path, int error) {
  return Error(absl::StatusCode::kFailedPrecondition, kConfigReason,
               std::string(what) + " " + path + ": " + std::strerror(error));
}

// mkdir -p with mode 0700 for what it creates: the directory holds tokens.
absl::Status MakeParentDirectories(const std::filesystem::path& file) {
  std::filesystem::path missing;
  for (const auto& part : file.parent_path()) {
    missing /= part;
    if (::mkdir(missing.c_str(), 0700) != 0 && errno != EEXIST) {
      return FileError("cannot create directory", missing.string(), errno);
    }
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return FileError("cannot write", path, errno);
    data.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, reporting what close() says (a failed close can mean lost data).
  int Close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::string> ResolveConfigPath(const char* plaza_config, const char* xdg_config_home,
                                              const char* home) {
  if (IsSet(plaza_config)) return std::string(plaza_config);
  if (IsSet(xdg_config_home)) return std::string(xdg_config_home) + "/plaza/config.json";
  if (IsSet(home)) return std::string(home) + "/.config/plaza/config.json";
  return Error(absl::StatusCode::kFailedPrecondition, kConfigReason,
               "no place for the config file: set PLAZA_CONFIG or HOME, or pass --config");
}

std::string ResolveServer(const std::optional<std::string>& flag, const char* env,
                          const CliConfig& config) {
  if (flag && !flag->empty()) return *flag;
  if (IsSet(env)) return env;
  if (!config.server().empty()) return config.server();
  return std::string(kDefaultServer);
}

std::string SerializeConfig(const CliConfig& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Printing a message of known, valid type cannot fail.
  (void)google::protobuf::util::MessageToJsonString(config, &json, options);
  return json;
}

absl::StatusOr<CliConfig> ParseConfig(std::string_view json) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  CliConfig config;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &config, options);
  if (!status.ok()) {
    return Error(absl::StatusCode::kFailedPrecondition, kConfigReason,
                 "the config file is not valid: " + std::string(status.message()));
  }
  return config;
}

absl::StatusOr<CliConfig> ReadConfigFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    if (errno == ENOENT) return CliConfig();
    return FileError("cannot read", path, errno);
  }
  std::ostringstream text;
  text << file.rdbuf();
  auto config = ParseConfig(text.str());
  if (!config.ok()) {
    return Error(config.status().code(), kConfigReason,
                 path + ": " + std::string(config.status().message()));
  }
  return config;
}

absl::Status WriteConfigFile(const std::string& path, const CliConfig& config) {
  PLAZA_RETURN_IF_ERROR(MakeParentDirectories(path));
  std::string temporary =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (file.get() < 0) return FileError("cannot create", temporary, errno);
  absl::Status written = WriteAll(file.get(), SerializeConfig(config), temporary);
  if (written.ok() && ::fsync(file.get()) != 0)
    written = FileError("cannot sync", temporary, errno);
  if (file.Close() != 0 && written.ok()) written = FileError("cannot close", temporary, errno);
  if (written.ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    written = FileError("cannot replace", path, errno);
  }
  if (!written.ok()) ::unlink(temporary.c_str());
  return written;
}

bool AccessTokenUsable(const CliConfig& config, core::TimePoint now, std::chrono::seconds margin) {
  if (config.access_token().empty() || !config.has_access_token_expire_time()) return false;
  auto expires = std::chrono::system_clock::time_point(
      std::chrono::seconds(TimeUtil::TimestampToSeconds(config.access_token_expire_time())));
  return now + margin < expires;
}

absl::StatusOr<CliConfig> ConfigStore::Update(
    const std::function<absl::Status(CliConfig&)>& change) const {
  PLAZA_RETURN_IF_ERROR(MakeParentDirectories(path_));
  std::string lock_path = path_ + ".lock";
  FileDescriptor lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.get() < 0) return FileError("cannot open", lock_path, errno);
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return FileError("cannot lock", lock_path, errno);
  }
  // The lock is released when `lock` closes.
  PLAZA_ASSIGN_OR_RETURN(CliConfig config, ReadConfigFile(path_));
  std::string before = config.SerializeAsString();
  PLAZA_RETURN_IF_ERROR(change(config));
  if (config.SerializeAsString() != before) PLAZA_RETURN_IF_ERROR(WriteConfigFile(path_, config));
  return config;
}

}  // namespace plaza::cli
