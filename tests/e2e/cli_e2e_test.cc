// `plaza`, the command-line client (tools/cli), run as people and scripts run it: one real
// subprocess per command, each simulated user with a config file of their own, against the real
// plaza-gateway, plaza-identity, plaza-messaging and plaza-groups. Assertions are on what the
// client promises (tools/cli/README.md): one JSON document on stdout with --json, and the exit
// codes 0 done, 1 refused, 2 usage (nothing sent), 3 not logged in.

#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "services/gateway/tests/push_client.h"
#include "tests/e2e/chat.h"
#include "tests/e2e/cluster.h"

extern char** environ;

namespace cli_e2e {

using namespace std::chrono_literals;
using plaza::e2e::Account;
using plaza::e2e::CallAs;
using plaza::e2e::Cluster;
using plaza::gateway::testing::PushClient;
namespace gv1 = plaza::groups::v1;
namespace iv1 = plaza::identity::v1;
namespace mv1 = plaza::messaging::v1;

// How long one command may take; a chat's output, a push, a read.
constexpr auto kCommandTimeout = 30s;
constexpr auto kWait = 10s;

// Exit codes (tools/cli/README.md).
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnauthenticated = 3;

// A child process with pipes to its stdin, stdout and stderr. Every wait is bounded; the process
// is killed by its PID if it is still running when destroyed.
class Subprocess {
 public:
  Subprocess(std::vector<std::string> argv, const std::vector<std::string>& extra_env) {
    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) env.emplace_back(*entry);
    for (const std::string& var : extra_env) {
      std::string prefix = var.substr(0, var.find('=') + 1);
      std::erase_if(env, [&](const std::string& existing) { return existing.starts_with(prefix); });
      env.push_back(var);
    }
    std::vector<char*> c_argv, c_env;
    for (auto& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);
    for (auto& var : env) c_env.push_back(var.data());
    c_env.push_back(nullptr);

    // Close-on-exec, so that no other child (the cluster's) holds an end open; dup2 clears it
    // on the child's 0, 1 and 2.
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none, pipe_signal;
    sigemptyset(&none);
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &pipe_signal);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int error = posix_spawn(&pid_, c_argv[0], &actions, &attributes, c_argv.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (error != 0) {
      close(in[1]);
      close(out[0]);
      close(err[0]);
      pid_ = -1;
      throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
    }
    stdin_ = in[1];
    reader_ = std::thread([this, out_fd = out[0], err_fd = err[0]] { Pump(out_fd, err_fd); });
  }

  ~Subprocess() {
    CloseStdin();
    if (Wait(0ms) < 0) {
      kill(pid_, SIGKILL);
      Wait(10s);
    }
    stop_reading_ = true;
    reader_.join();
  }

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Writes to the process's stdin; false if it no longer reads it.
  bool Write(std::string_view text) {
    if (stdin_ < 0) return false;
    // A closed pipe must not kill the test: SIGPIPE is held back on this thread and dropped.
    sigset_t pipe_signal, old;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &old);
    bool ok = true;
    while (ok && !text.empty()) {
      ssize_t written = ::write(stdin_, text.data(), text.size());
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) {
        ok = false;
      } else {
        text.remove_prefix(static_cast<size_t>(written));
      }
    }
    if (!ok) {
      timespec zero{};
      sigtimedwait(&pipe_signal, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return ok;
  }

  void CloseStdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }

  // The exit code (128 + signal if killed) once it exited and its output is read; -1 if it is
  // still running after `timeout`.
  int Wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (status_ < 0) {
      int raw = 0;
      pid_t reaped = waitpid(pid_, &raw, WNOHANG);
      if (reaped == pid_) {
        status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
        break;
      }
      if (reaped < 0 && errno != EINTR) return -1;
      if (std::chrono::steady_clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(10ms);
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [this] { return drained_; });
    return status_;
  }

  // True once stdout holds `needle`, waiting up to `timeout`.
  bool WaitForStdout(std::string_view needle, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      return out_.find(needle) != std::string::npos || drained_;
    }) && out_.find(needle) != std::string::npos;
  }

  std::string Stdout() {
    std::lock_guard lock(mutex_);
    return out_;
  }
  std::string Stderr() {
    std::lock_guard lock(mutex_);
    return err_;
  }

 private:
  void Pump(int out_fd, int err_fd) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    while ((fds[0].fd >= 0 || fds[1].fd >= 0) && !stop_reading_) {
      int ready = poll(fds, 2, 100);
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        char chunk[4096];
        ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          close(fds[i].fd);
          fds[i].fd = -1;
          continue;
        }
        std::lock_guard lock(mutex_);
        (i == 0 ? out_ : err_).append(chunk, static_cast<size_t>(got));
        changed_.notify_all();
      }
    }
    for (pollfd& fd : fds)
      if (fd.fd >= 0) close(fd.fd);
    std::lock_guard lock(mutex_);
    drained_ = true;
    changed_.notify_all();
  }

  pid_t pid_ = -1;
  int status_ = -1;
  int stdin_ = -1;
  std::atomic<bool> stop_reading_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string out_;
  std::string err_;
  bool drained_ = false;
  std::thread reader_;
};

struct Result {
  int exit_code = -1;  // -1: still running at the deadline (and then killed)
  std::string out;
  std::string err;
};

// Runs a command to its end with `input` on stdin.
Result RunProcess(std::vector<std::string> argv, const std::vector<std::string>& env,
                  std::string_view input, std::chrono::milliseconds timeout) {
  Subprocess process(std::move(argv), env);
  if (!input.empty()) process.Write(input);
  process.CloseStdin();
  int exit_code = process.Wait(timeout);
  return {exit_code, process.Stdout(), process.Stderr()};
}

// Parses one JSON document (a command's whole stdout) as `Message`.
template <typename Message>
Message FromJson(const std::string& json, bool ignore_unknown_fields = false) {
  Message message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = ignore_unknown_fields;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message, options);
  INFO("as " << Message::descriptor()->full_name() << ": " << json);
  REQUIRE(status.ok());
  return message;
}

// The JSON of one member of a JSON object.
std::string JsonField(const std::string& json, const std::string& name) {
  auto object = FromJson<google::protobuf::Struct>(json);
  INFO(json);
  REQUIRE(object.fields().contains(name));
  std::string field;
  REQUIRE(google::protobuf::util::MessageToJsonString(object.fields().at(name), &field).ok());
  return field;
}

std::string StringField(const std::string& json, const std::string& name) {
  auto object = FromJson<google::protobuf::Struct>(json);
  INFO(json);
  REQUIRE(object.fields().contains(name));
  return object.fields().at(name).string_value();
}

// {"error": {"code", "reason", "message"}}, what --json prints for a failure.
struct Error {
  std::string code;
  std::string reason;
  std::string message;
};
Error ErrorOf(const Result& result) {
  INFO("stdout: " << result.out << "stderr: " << result.err);
  std::string error = JsonField(result.out, "error");
  return {StringField(error, "code"), StringField(error, "reason"), StringField(error, "message")};
}

// A person with an account made by Cluster::SignUp and a home and config file of their own.
struct User {
  std::string name;
  Account account;
  std::string home;
  std::string config;
  std::string id() const { return std::to_string(account.user_id); }
};

// `plaza` for several users of one cluster, each in a directory of its own under a temporary
// directory that is removed at the end.
class Cli {
 public:
  explicit Cli(Cluster& cluster) : cluster_(cluster) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "plaza-cli-e2e-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~Cli() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string server() const { return "127.0.0.1:" + std::to_string(cluster_.gateway_port()); }

  // An account (not yet logged in with plaza) and its directory.
  User NewUser(const std::string& name) {
    User user{.name = name, .account = cluster_.SignUp(name, "phone-of-" + name)};
    user.home = dir_ + "/" + name;
    user.config = user.home + "/plaza/config.json";
    std::filesystem::create_directories(user.home);
    return user;
  }

  std::vector<std::string> Env(const User& user) const {
    return {"PLAZA_SERVER=" + server(), "PLAZA_CONFIG=" + user.config, "HOME=" + user.home,
            "XDG_CONFIG_HOME=" + user.home + "/xdg"};
  }

  Result Run(const User& user, std::vector<std::string> args, std::string_view input = "") {
    args.insert(args.begin(), PLAZA_CLI_BINARY);
    return RunProcess(std::move(args), Env(user), input, kCommandTimeout);
  }

  // Runs a command that must succeed; its stdout.
  std::string Ok(const User& user, const std::vector<std::string>& args,
                 std::string_view input = "") {
    Result result = Run(user, args, input);
    INFO(Describe(user, args, result));
    REQUIRE(result.exit_code == 0);
    return result.out;
  }

  // Runs a command that must fail with `exit_code`; the result.
  Result Fails(const User& user, const std::vector<std::string>& args, int exit_code,
               std::string_view input = "") {
    Result result = Run(user, args, input);
    INFO(Describe(user, args, result));
    REQUIRE(result.exit_code == exit_code);
    return result;
  }

  // plaza login <phone> --password P, the password as an argument or from stdin; the device id.
  std::string LogIn(const User& user, bool password_from_stdin = false) {
    std::string out = password_from_stdin
                          ? Ok(user, {"login", user.account.phone, "--password", "-", "--json"},
                               std::string(plaza::e2e::kAccountPassword) + "\n")
                          : Ok(user, {"login", user.account.phone, "--password",
                                      plaza::e2e::kAccountPassword, "--json"});
    auto profile = FromJson<iv1::Profile>(JsonField(out, "profile"));
    CHECK(profile.user_id() == user.account.user_id);
    CHECK(profile.display_name() == user.name);
    std::string device_id = StringField(out, "device_id");
    CHECK(device_id.starts_with("cli-"));
    CHECK(std::stoll(StringField(out, "session_id")) > 0);
    CHECK_FALSE(StringField(out, "access_token_expire_time").empty());
    CHECK(out.find(user.account.tokens.access_token()) == std::string::npos);
    return device_id;
  }

  static std::string Describe(const User& user, const std::vector<std::string>& args,
                              const Result& result) {
    std::string line = user.name + "$ plaza";
    for (const auto& arg : args) line += " " + arg;
    return line + "\nexit " + std::to_string(result.exit_code) + "\nstdout: " + result.out +
           "\nstderr: " + result.err;
  }

 private:
  Cluster& cluster_;
  std::string dir_;
};

// What `plaza group info --json` prints: {"group": …, "members": […], "next_page_token": …}.
struct GroupInfo {
  gv1::Group group;
  std::vector<gv1::Member> members;

  const gv1::Member* Member(const User& user) const {
    for (const auto& member : members)
      if (member.user_id() == user.account.user_id) return &member;
    return nullptr;
  }
};
GroupInfo ParseGroupInfo(const std::string& json) {
  auto listed = FromJson<gv1::ListMembersResponse>(json, /*ignore_unknown_fields=*/true);
  CHECK(listed.next_page_token().empty());
  return {FromJson<gv1::Group>(JsonField(json, "group")),
          {listed.members().begin(), listed.members().end()}};
}

GroupInfo Info(Cli& cli, const User& who, int64_t group_id) {
  return ParseGroupInfo(cli.Ok(who, {"group", "info", std::to_string(group_id), "--json"}));
}

const mv1::Message* FindText(const mv1::GetHistoryResponse& history, const std::string& text) {
  for (const auto& message : history.messages())
    if (message.content().text().text() == text) return &message;
  return nullptr;
}

const mv1::Conversation* FindConversation(const mv1::ListConversationsResponse& list,
                                          int64_t conversation_id) {
  for (const auto& conversation : list.conversations())
    if (conversation.conversation_id() == conversation_id) return &conversation;
  return nullptr;
}

// Groups tells messaging about a new group before it answers; waits (bounded) for the group's
// conversation all the same, as groups_e2e_test does.
void WaitForConversation(Cluster& cluster, const Account& account, int64_t conversation_id) {
  auto messaging = cluster.Messaging();
  auto deadline = std::chrono::steady_clock::now() + kWait;
  for (;;) {
    mv1::GetConversationRequest request;
    request.set_conversation_id(conversation_id);
    mv1::GetConversationResponse response;
    auto outcome = CallAs(*messaging, &mv1::MessagingService::Stub::GetConversation, account,
                          request, &response);
    if (outcome.ok()) return;
    INFO(outcome.code << " " << outcome.reason << ": " << outcome.message);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(20ms);
  }
}

// plaza group create <name> <friends...> --json, as `owner`; the group.
gv1::Group CreateGroup(Cli& cli, Cluster& cluster, const User& owner, const std::string& name,
                       const std::vector<std::string>& friends) {
  std::vector<std::string> args = {"group", "create", name};
  args.insert(args.end(), friends.begin(), friends.end());
  args.push_back("--json");
  auto group = FromJson<gv1::CreateGroupResponse>(cli.Ok(owner, args)).group();
  REQUIRE(group.group_id() > 0);
  WaitForConversation(cluster, owner.account, group.group_id());
  return group;
}

int64_t Seconds(const google::protobuf::Timestamp& time) {
  return google::protobuf::util::TimeUtil::TimestampToSeconds(time);
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_CASE("plaza logs two friends in with their own config files and chats between them",
          "[e2e][cli]") {
  Cluster cluster;
  Cli cli(cluster);
  User mei = cli.NewUser("Mei");
  User bob = cli.NewUser("Bob");
  cluster.BeFriends(mei.account, bob.account);

  std::string mei_device = cli.LogIn(mei);
  std::string bob_device = cli.LogIn(bob, /*password_from_stdin=*/true);
  CHECK(mei_device != bob_device);

  // whoami names each user, with the server and config file this user's plaza uses.
  for (const auto& [user, device] : {std::pair{&mei, mei_device}, std::pair{&bob, bob_device}}) {
    INFO(user->name);
    std::string out = cli.Ok(*user, {"whoami", "--json"});
    CHECK(StringField(out, "user_id") == user->id());
    CHECK(StringField(out, "server") == cli.server());
    CHECK(StringField(out, "config") == user->config);
    CHECK(StringField(out, "device_id") == device);
    auto account = FromJson<iv1::GetMyProfileResponse>(JsonField(out, "account"));
    CHECK(account.profile().user_id() == user->account.user_id);
    CHECK(account.profile().display_name() == user->name);
    CHECK(account.phone() == user->account.phone);
    CHECK(std::filesystem::exists(user->config));
    CHECK((std::filesystem::status(user->config).permissions() &
           std::filesystem::perms::others_read) == std::filesystem::perms::none);
  }

  // Mei sends Bob a message, the words of the command line joined.
  auto sent = FromJson<mv1::SendMessageResponse>(
      cli.Ok(mei, {"send", bob.id(), "dinner", "at", "7?", "--json"}));
  CHECK_FALSE(sent.duplicate());
  CHECK(sent.message().sender_id() == mei.account.user_id);
  CHECK(sent.message().content().text().text() == "dinner at 7?");
  CHECK(sent.message().client_message_id().starts_with("cli-"));
  int64_t conversation_id = sent.message().conversation_id();
  REQUIRE(conversation_id > 0);

  // Bob's history with Mei shows it.
  auto history = FromJson<mv1::GetHistoryResponse>(cli.Ok(bob, {"history", mei.id(), "--json"}));
  const mv1::Message* got = FindText(history, "dinner at 7?");
  REQUIRE(got != nullptr);
  CHECK(got->sender_id() == mei.account.user_id);
  CHECK(got->seq() == sent.message().seq());
  CHECK(got->conversation_id() == conversation_id);

  // Bob's conversation list: one unread, the badge 1; Mei's: nothing unread.
  auto bobs = FromJson<mv1::ListConversationsResponse>(cli.Ok(bob, {"conversations", "--json"}));
  const mv1::Conversation* with_mei = FindConversation(bobs, conversation_id);
  REQUIRE(with_mei != nullptr);
  CHECK(with_mei->unread_count() == 1);
  CHECK(with_mei->peer_user_id() == mei.account.user_id);
  CHECK(with_mei->last_seq() == sent.message().seq());
  CHECK(bobs.total_unread_count() == 1);
  auto meis = FromJson<mv1::ListConversationsResponse>(cli.Ok(mei, {"conversations", "--json"}));
  REQUIRE(FindConversation(meis, conversation_id) != nullptr);
  CHECK(FindConversation(meis, conversation_id)->unread_count() == 0);

  // Bob reads it; then answers with text from stdin.
  auto read = FromJson<mv1::MarkReadResponse>(cli.Ok(bob, {"read", mei.id(), "--json"}));
  CHECK(read.conversation().unread_count() == 0);
  CHECK(read.total_unread_count() == 0);
  bobs = FromJson<mv1::ListConversationsResponse>(cli.Ok(bob, {"conversations", "--json"}));
  REQUIRE(FindConversation(bobs, conversation_id) != nullptr);
  CHECK(FindConversation(bobs, conversation_id)->unread_count() == 0);
  CHECK(bobs.total_unread_count() == 0);

  auto reply = FromJson<mv1::SendMessageResponse>(
      cli.Ok(bob, {"send", mei.id(), "-", "--json"}, "sounds good\nsee you there\n"));
  CHECK(reply.message().content().text().text() == "sounds good\nsee you there");
  CHECK(reply.message().conversation_id() == conversation_id);
  CHECK(reply.message().seq() == sent.message().seq() + 1);
  history = FromJson<mv1::GetHistoryResponse>(
      cli.Ok(mei, {"history", "c:" + std::to_string(conversation_id), "--json"}));
  REQUIRE(FindText(history, "sounds good\nsee you there") != nullptr);
  CHECK(FindText(history, "sounds good\nsee you there")->sender_id() == bob.account.user_id);
  meis = FromJson<mv1::ListConversationsResponse>(cli.Ok(mei, {"conversations", "--json"}));
  CHECK(meis.total_unread_count() == 1);

  // Logging out ends the session: the next command is unauthenticated (exit 3).
  std::string out = cli.Ok(bob, {"logout", "--json"});
  CHECK(FromJson<google::protobuf::Struct>(out).fields().at("logged_out").bool_value());
  auto after =
      cli.Fails(bob, {"send", mei.id(), "still", "there?", "--json"}, kExitUnauthenticated);
  CHECK(ErrorOf(after).code == "UNAUTHENTICATED");
  CHECK(ErrorOf(after).reason == "NOT_LOGGED_IN");
}

TEST_CASE(
    "plaza runs a group: create, info, mute, admin, announce, invite link and join, kick, read "
    "counts, leave",
    "[e2e][cli]") {
  Cluster cluster;
  Cli cli(cluster);
  User mei = cli.NewUser("Mei");
  User bob = cli.NewUser("Bob");
  User lin = cli.NewUser("Lin");
  User wei = cli.NewUser("Wei");  // a friend of nobody
  cluster.BeFriends(mei.account, bob.account);
  cluster.BeFriends(mei.account, lin.account);
  for (User* user : {&mei, &bob, &lin, &wei}) cli.LogIn(*user);

  // Lin takes a Plaza ID, and Mei names her by it.
  std::string lin_plaza_id = "lin_" + lin.account.phone.substr(lin.account.phone.size() - 8);
  auto lin_profile = FromJson<iv1::GetMyProfileResponse>(
      cli.Ok(lin, {"profile", "--plaza-id", lin_plaza_id, "--json"}));
  CHECK(lin_profile.profile().plaza_id() == lin_plaza_id);

  gv1::Group created = CreateGroup(cli, cluster, mei, "Trip", {bob.id(), lin_plaza_id});
  const int64_t id = created.group_id();
  const std::string gid = std::to_string(id);
  const std::string conversation = "c:" + gid;
  CHECK(created.name() == "Trip");
  CHECK(created.member_count() == 3);
  CHECK(created.owner_id() == mei.account.user_id);
  CHECK(created.me().role() == gv1::MEMBER_ROLE_OWNER);

  // Everyone sees the same three members, with Mei the owner.
  for (User* viewer : {&mei, &bob}) {
    INFO(viewer->name << "'s view");
    GroupInfo info = Info(cli, *viewer, id);
    CHECK(info.group.group_id() == id);
    CHECK(info.group.owner_id() == mei.account.user_id);
    CHECK(info.group.member_count() == 3);
    REQUIRE(info.members.size() == 3);
    REQUIRE(info.Member(mei) != nullptr);
    REQUIRE(info.Member(bob) != nullptr);
    REQUIRE(info.Member(lin) != nullptr);
    CHECK(info.Member(mei)->role() == gv1::MEMBER_ROLE_OWNER);
    CHECK(info.Member(bob)->role() == gv1::MEMBER_ROLE_MEMBER);
    CHECK(info.Member(lin)->role() == gv1::MEMBER_ROLE_MEMBER);
  }
  auto listed = FromJson<gv1::ListMyGroupsResponse>(cli.Ok(lin, {"group", "list", "--json"}));
  REQUIRE(listed.groups_size() == 1);
  CHECK(listed.groups(0).group_id() == id);
  CHECK(listed.groups(0).me().role() == gv1::MEMBER_ROLE_MEMBER);

  // Muted for 10 minutes, Bob's send is refused with the reason; unmuted, it goes through.
  int64_t before_mute = NowSeconds();
  auto muted = FromJson<gv1::MuteMemberResponse>(
      cli.Ok(mei, {"group", "mute", gid, bob.id(), "10m", "--json"}));
  CHECK(muted.member().user_id() == bob.account.user_id);
  REQUIRE(muted.member().has_mute_end_time());
  CHECK(Seconds(muted.member().mute_end_time()) >= before_mute + 590);
  CHECK(Seconds(muted.member().mute_end_time()) <= NowSeconds() + 610);
  Result refused = cli.Fails(bob, {"send", conversation, "hi"}, kExitRefused);
  CHECK(refused.err.find("(PERMISSION_DENIED, MUTED)") != std::string::npos);
  CHECK(refused.err.starts_with("plaza: "));
  refused = cli.Fails(bob, {"send", conversation, "hi", "--json"}, kExitRefused);
  CHECK(ErrorOf(refused).code == "PERMISSION_DENIED");
  CHECK(ErrorOf(refused).reason == "MUTED");
  auto history =
      FromJson<mv1::GetHistoryResponse>(cli.Ok(mei, {"history", conversation, "--json"}));
  CHECK(FindText(history, "hi") == nullptr);

  muted = FromJson<gv1::MuteMemberResponse>(
      cli.Ok(mei, {"group", "mute", gid, bob.id(), "off", "--json"}));
  CHECK_FALSE(muted.member().has_mute_end_time());
  auto hi = FromJson<mv1::SendMessageResponse>(cli.Ok(bob, {"send", conversation, "hi", "--json"}));
  CHECK(hi.message().conversation_id() == id);
  CHECK(hi.message().sender_id() == bob.account.user_id);

  // Bob becomes an admin; Mei announces.
  auto admin = FromJson<gv1::SetAdminResponse>(
      cli.Ok(mei, {"group", "admin", gid, bob.id(), "on", "--json"}));
  CHECK(admin.member().user_id() == bob.account.user_id);
  CHECK(admin.member().role() == gv1::MEMBER_ROLE_ADMIN);
  auto announced = FromJson<gv1::SetAnnouncementResponse>(
      cli.Ok(mei, {"group", "announce", gid, "Meet", "at", "9", "--json"}));
  CHECK(announced.group().announcement().text() == "Meet at 9");
  CHECK(announced.group().announcement().author_id() == mei.account.user_id);
  GroupInfo lins_view = Info(cli, lin, id);
  CHECK(lins_view.group.announcement().text() == "Meet at 9");
  REQUIRE(lins_view.Member(bob) != nullptr);
  CHECK(lins_view.Member(bob)->role() == gv1::MEMBER_ROLE_ADMIN);

  // Bob, an admin, makes an invitation link; Wei, a friend of nobody, joins with it.
  auto invite = FromJson<gv1::CreateInviteResponse>(
      cli.Ok(bob, {"group", "invite", gid, "--link", "--ttl", "1d", "--json"}));
  CHECK(invite.invite().group_id() == id);
  CHECK(invite.invite().creator_id() == bob.account.user_id);
  REQUIRE_FALSE(invite.invite().payload().empty());
  CHECK(Seconds(invite.invite().expire_time()) > NowSeconds() + 86'000);
  cli.Fails(wei, {"group", "info", gid, "--json"}, kExitRefused);  // not a member yet
  auto joined = FromJson<gv1::JoinByInviteResponse>(
      cli.Ok(wei, {"group", "join", invite.invite().payload(), "--json"}));
  CHECK(joined.outcome() == gv1::JOIN_OUTCOME_JOINED);
  CHECK(joined.group_id() == id);
  GroupInfo weis_view = Info(cli, wei, id);
  CHECK(weis_view.group.member_count() == 4);
  CHECK(weis_view.members.size() == 4);
  REQUIRE(weis_view.Member(wei) != nullptr);
  CHECK(weis_view.Member(wei)->role() == gv1::MEMBER_ROLE_MEMBER);
  CHECK(weis_view.Member(wei)->inviter_id() == bob.account.user_id);
  cli.Ok(wei, {"send", conversation, "thanks for having me"});

  // Lin is removed: her next send is refused as NOT_A_MEMBER.
  auto removed =
      FromJson<gv1::RemoveMembersResponse>(cli.Ok(mei, {"group", "kick", gid, lin.id(), "--json"}));
  REQUIRE(removed.removed_user_ids_size() == 1);
  CHECK(removed.removed_user_ids(0) == lin.account.user_id);
  Result kicked =
      cli.Fails(lin, {"send", conversation, "am I still here?", "--json"}, kExitRefused);
  CHECK(ErrorOf(kicked).code == "PERMISSION_DENIED");
  CHECK(ErrorOf(kicked).reason == "NOT_A_MEMBER");
  CHECK(kicked.err.find("NOT_A_MEMBER") != std::string::npos);
  GroupInfo after_kick = Info(cli, mei, id);
  CHECK(after_kick.group.member_count() == 3);
  CHECK(after_kick.Member(lin) == nullptr);

  // Mei's message, read by Bob: read by 1 of the 2 others (Bob and Wei).
  auto mine = FromJson<mv1::SendMessageResponse>(
      cli.Ok(mei, {"send", conversation, "who", "read", "this?", "--json"}));
  std::string seq = std::to_string(mine.message().seq());
  auto counts =
      FromJson<mv1::GetReadCountsResponse>(cli.Ok(mei, {"read-counts", gid, seq, "--json"}));
  REQUIRE(counts.read_counts_size() == 1);
  CHECK(counts.read_counts(0).read_count() == 0);
  auto bob_read = FromJson<mv1::MarkReadResponse>(cli.Ok(bob, {"read", conversation, "--json"}));
  CHECK(bob_read.conversation().read_seq() >= mine.message().seq());
  CHECK(bob_read.conversation().unread_count() == 0);
  counts = FromJson<mv1::GetReadCountsResponse>(
      cli.Ok(mei, {"read-counts", conversation, seq, "--json"}));
  REQUIRE(counts.read_counts_size() == 1);
  CHECK(counts.read_counts(0).seq() == mine.message().seq());
  CHECK(counts.read_counts(0).read_count() == 1);
  CHECK(counts.read_counts(0).audience_count() == 2);
  // The same in history --read-counts; and only the sender may ask.
  std::string with_counts = cli.Ok(mei, {"history", conversation, "--read-counts", "--json"});
  auto history_counts = FromJson<mv1::GetReadCountsResponse>(with_counts, true);
  bool listed_mine = false;
  for (const auto& count : history_counts.read_counts()) {
    if (count.seq() != mine.message().seq()) continue;
    listed_mine = true;
    CHECK(count.read_count() == 1);
  }
  CHECK(listed_mine);
  CHECK(FindText(FromJson<mv1::GetHistoryResponse>(with_counts, true), "who read this?") !=
        nullptr);
  Result not_sender = cli.Fails(bob, {"read-counts", gid, seq, "--json"}, kExitRefused);
  CHECK(ErrorOf(not_sender).reason == "NOT_SENDER");

  // Wei leaves.
  std::string left = cli.Ok(wei, {"group", "leave", gid, "--json"});
  CHECK(FromJson<google::protobuf::Struct>(left).fields().at("left").bool_value());
  CHECK(StringField(left, "group_id") == gid);
  GroupInfo after_leave = Info(cli, mei, id);
  CHECK(after_leave.group.member_count() == 2);
  CHECK(after_leave.Member(wei) == nullptr);
  CHECK(after_leave.Member(bob) != nullptr);
  cli.Fails(wei, {"send", conversation, "bye?"}, kExitRefused);
  // The owner cannot leave without handing the group over.
  Result owner_leaves = cli.Fails(mei, {"group", "leave", gid, "--json"}, kExitRefused);
  CHECK(ErrorOf(owner_leaves).reason == "OWNER_CANNOT_LEAVE");
}

TEST_CASE(
    "plaza chat --group sends what is typed, shows the others' messages with their names, and "
    "exits 0 on /quit or at the end of its input",
    "[e2e][cli]") {
  Cluster cluster;
  Cli cli(cluster);
  User mei = cli.NewUser("Mei");
  User bob = cli.NewUser("Bob");
  User lin = cli.NewUser("Lin");  // Mei's friend, not Bob's
  cluster.BeFriends(mei.account, bob.account);
  cluster.BeFriends(mei.account, lin.account);
  cli.LogIn(mei);
  cli.LogIn(bob);
  gv1::Group group = CreateGroup(cli, cluster, mei, "Trip", {bob.id(), lin.id()});
  const int64_t id = group.group_id();
  const std::string gid = std::to_string(id);

  auto lin_device =
      std::make_unique<PushClient>(cluster.Connect(), lin.account.tokens.access_token());
  REQUIRE(lin_device->Connected());
  auto messaging = cluster.Messaging();

  Subprocess chat({PLAZA_CLI_BINARY, "chat", "--group", gid}, cli.Env(bob));
  auto chat_log = [&] { return "stdout: " + chat.Stdout() + "\nstderr: " + chat.Stderr(); };
  {
    INFO(chat_log());
    REQUIRE(chat.WaitForStdout("-- connected", kWait));
  }
  CHECK(chat.Stdout().find("Chat in Trip") != std::string::npos);
  CHECK(chat.Stdout().find("3 members") != std::string::npos);

  // A line typed into the chat reaches Lin's device.
  REQUIRE(chat.Write("hello from the terminal\n"));
  auto received = plaza::e2e::ReceiveMessages(
      *lin_device, id,
      [](const std::vector<mv1::Message>& so_far) {
        for (const auto& message : so_far)
          if (message.content().text().text() == "hello from the terminal") return true;
        return false;
      },
      kWait);
  {
    INFO(chat_log());
    REQUIRE_FALSE(received.empty());
    CHECK(received.back().content().text().text() == "hello from the terminal");
    CHECK(received.back().sender_id() == bob.account.user_id);
  }

  // What Lin (looked up by profile) and Mei (a friend) send appears with their names.
  mv1::SendMessageResponse lins;
  REQUIRE(plaza::e2e::Send(*messaging, lin.account, id, "lin-1", "evening, everyone", &lins).ok());
  {
    INFO(chat_log());
    CHECK(chat.WaitForStdout("Lin: evening, everyone", kWait));
  }
  mv1::SendMessageResponse meis;
  REQUIRE(
      plaza::e2e::Send(*messaging, mei.account, id, "mei-1", "the bus leaves at 8", &meis).ok());
  {
    INFO(chat_log());
    CHECK(chat.WaitForStdout("Mei: the bus leaves at 8", kWait));
  }
  // What the chat shows is read: Lin's message is read by one member, soon.
  {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    int32_t read_count = 0;
    while (read_count < 1 && std::chrono::steady_clock::now() < deadline) {
      mv1::GetReadCountsRequest request;
      request.set_conversation_id(id);
      request.add_seqs(lins.message().seq());
      mv1::GetReadCountsResponse response;
      auto outcome = CallAs(*messaging, &mv1::MessagingService::Stub::GetReadCounts, lin.account,
                            request, &response);
      REQUIRE(outcome.ok());
      read_count = response.read_counts(0).read_count();
      if (read_count < 1) std::this_thread::sleep_for(50ms);
    }
    CHECK(read_count >= 1);
  }

  // A refused send is a line with the reason, and the chat goes on.
  cli.Ok(mei, {"group", "mute", gid, bob.id(), "1h"});
  REQUIRE(chat.Write("can anyone hear me?\n"));
  {
    INFO(chat_log());
    CHECK(chat.WaitForStdout("(PERMISSION_DENIED, MUTED)", kWait));
  }
  cli.Ok(mei, {"group", "mute", gid, bob.id(), "off"});
  REQUIRE(chat.Write("back again\n"));
  auto more = plaza::e2e::ReceiveMessages(
      *lin_device, id,
      [](const std::vector<mv1::Message>& so_far) {
        for (const auto& message : so_far)
          if (message.content().text().text() == "back again") return true;
        return false;
      },
      kWait);
  REQUIRE_FALSE(more.empty());
  CHECK(more.back().content().text().text() == "back again");
  for (const auto& message : more) CHECK(message.content().text().text() != "can anyone hear me?");

  // /quit leaves, exit 0.
  REQUIRE(chat.Write("/quit\n"));
  CHECK(chat.Wait(kWait) == 0);
  CHECK(chat.Stderr().empty());
  CHECK(chat.Stdout().find("back again") != std::string::npos);
  CHECK(chat.Stdout().find("can anyone hear me?") == std::string::npos);

  // Piped: each line is sent, and the end of input leaves, exit 0.
  Result piped = RunProcess({PLAZA_CLI_BINARY, "chat", "c:" + gid}, cli.Env(bob), "one\ntwo\n",
                            kCommandTimeout);
  {
    INFO("stdout: " << piped.out << "\nstderr: " << piped.err);
    CHECK(piped.exit_code == 0);
  }
  auto history = FromJson<mv1::GetHistoryResponse>(
      cli.Ok(mei, {"history", "c:" + gid, "--limit", "5", "--json"}));
  REQUIRE(history.messages_size() >= 2);
  CHECK(history.messages(history.messages_size() - 2).content().text().text() == "one");
  CHECK(history.messages(history.messages_size() - 1).content().text().text() == "two");
  CHECK(history.messages(history.messages_size() - 1).sender_id() == bob.account.user_id);

  // With --json the chat prints JSON Lines: the conversation and group first, then messages.
  Result lines = RunProcess({PLAZA_CLI_BINARY, "chat", "--group", gid, "--json"}, cli.Env(bob),
                            "from a script\n", kCommandTimeout);
  INFO("stdout: " << lines.out << "\nstderr: " << lines.err);
  CHECK(lines.exit_code == 0);
  std::vector<google::protobuf::Struct> objects;
  for (size_t start = 0; start < lines.out.size();) {
    size_t end = lines.out.find('\n', start);
    if (end == std::string::npos) end = lines.out.size();
    objects.push_back(FromJson<google::protobuf::Struct>(lines.out.substr(start, end - start)));
    start = end + 1;
  }
  REQUIRE_FALSE(objects.empty());
  CHECK(objects.front().fields().contains("conversation"));
  CHECK(objects.front().fields().contains("group"));
  int from_script = 0;
  for (const auto& object : objects) {
    if (!object.fields().contains("message")) continue;
    std::string json;
    REQUIRE(google::protobuf::util::MessageToJsonString(object.fields().at("message"), &json).ok());
    auto message = FromJson<mv1::Message>(json);
    if (message.content().text().text() == "from a script") {
      ++from_script;
      CHECK(message.sender_id() == bob.account.user_id);
      CHECK(message.conversation_id() == id);
    }
  }
  CHECK(from_script == 1);
}

TEST_CASE(
    "plaza exits 3 when not logged in and 2 on a wrong command line, and then nothing was done",
    "[e2e][cli]") {
  Cluster cluster;
  Cli cli(cluster);
  User mei = cli.NewUser("Mei");
  User bob = cli.NewUser("Bob");
  User lin = cli.NewUser("Lin");
  cluster.BeFriends(mei.account, bob.account);
  cluster.BeFriends(mei.account, lin.account);

  // Nobody logged in with this config yet: exit 3, NOT_LOGGED_IN, on stderr and as JSON.
  for (const std::vector<std::string>& args : {std::vector<std::string>{"whoami", "--json"},
                                               {"conversations", "--json"},
                                               {"send", bob.id(), "hello", "--json"},
                                               {"group", "list", "--json"}}) {
    Result result = cli.Fails(mei, args, kExitUnauthenticated);
    CHECK(ErrorOf(result).code == "UNAUTHENTICATED");
    CHECK(ErrorOf(result).reason == "NOT_LOGGED_IN");
    CHECK(result.err.starts_with("plaza: not logged in"));
  }
  // A wrong password is refused as authentication too, and logs nobody in.
  cli.Fails(mei, {"login", mei.account.phone, "--password", "not-the-password", "--json"},
            kExitUnauthenticated);
  cli.Fails(mei, {"whoami"}, kExitUnauthenticated);

  cli.LogIn(mei);
  cli.LogIn(bob);
  gv1::Group group = CreateGroup(cli, cluster, mei, "Trip", {bob.id(), lin.id()});
  const std::string gid = std::to_string(group.group_id());
  auto history_before = FromJson<mv1::GetHistoryResponse>(
      cli.Ok(mei, {"history", "c:" + gid, "--limit", "200", "--json"}));

  // Wrong command lines: exit 2, INVALID_ARGUMENT / USAGE, with --json as the one document.
  const std::vector<std::pair<const User*, std::vector<std::string>>> wrong = {
      {&mei, {"group", "mute", gid, bob.id(), "forever", "--json"}},
      {&mei, {"group", "mute", gid, bob.id(), "600", "--json"}},  // a bare number
      {&mei, {"group", "mute", gid, bob.id(), "--json"}},
      {&mei, {"group", "admin", gid, bob.id(), "maybe", "--json"}},
      {&mei, {"group", "invite", gid, "--link", "--ttl", "1y", "--json"}},
      {&mei, {"group", "info", "not-a-group", "--json"}},
      {&mei, {"read-counts", gid, "zero", "--json"}},
      {&bob, {"send", "c:" + gid, "--json"}},
      {&bob, {"history", "c:" + gid, "--limit", "0", "--json"}},
      {&bob, {"history", "c:" + gid, "--colour", "--json"}},
      {&bob, {"fly", "--json"}},
  };
  for (const auto& [user, args] : wrong) {
    Result result = cli.Fails(*user, args, kExitUsage);
    INFO(Cli::Describe(*user, args, result));
    CHECK(ErrorOf(result).code == "INVALID_ARGUMENT");
    CHECK(ErrorOf(result).reason == "USAGE");
    CHECK(result.err.starts_with("plaza: "));
  }

  // Nothing changed: nobody muted or promoted, no message, still three members.
  GroupInfo info = Info(cli, mei, group.group_id());
  CHECK(info.group.member_count() == 3);
  REQUIRE(info.Member(bob) != nullptr);
  CHECK_FALSE(info.Member(bob)->has_mute_end_time());
  CHECK(info.Member(bob)->role() == gv1::MEMBER_ROLE_MEMBER);
  auto history_after = FromJson<mv1::GetHistoryResponse>(
      cli.Ok(mei, {"history", "c:" + gid, "--limit", "200", "--json"}));
  CHECK(history_after.messages_size() == history_before.messages_size());
  auto bobs_groups = FromJson<gv1::ListMyGroupsResponse>(cli.Ok(bob, {"group", "list", "--json"}));
  REQUIRE(bobs_groups.groups_size() == 1);
  CHECK(bobs_groups.groups(0).me().role() == gv1::MEMBER_ROLE_MEMBER);
  // Bob can still speak: the usage errors did not mute him.
  cli.Ok(bob, {"send", "c:" + gid, "still", "here"});
}

}  // namespace cli_e2e
