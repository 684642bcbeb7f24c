// FileStore: POSIX calls, each checked, each failure named.
#include "deploy/file_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace deploy {
namespace {

[[noreturn]] void Fail(const std::string& path, const std::string& what,
                       int err) {
  throw StoreError(path + ": " + what + ": " + std::strerror(err));
}

// Opens, retrying on EINTR.
int Open(const std::string& path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Writes every byte of the iovecs, resuming after short writes. False (with
// errno set) on failure.
bool WriteAll(int fd, iovec* iov, int n) {
  while (n > 0) {
    ssize_t w = ::writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<size_t>(w);
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

}  // namespace

FileStore::FileStore(std::string dir)
    : dir_(std::move(dir)),
      state_path_(dir_ + "/" + kStateName),
      temp_path_(dir_ + "/" + kTempName) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) Fail(dir_, "cannot create the directory", ec.value());
  dir_fd_ = Open(dir_, O_RDONLY | O_DIRECTORY);
  if (dir_fd_ < 0) Fail(dir_, "cannot open the directory", errno);
  const std::string lock_path = dir_ + "/" + kLockName;
  lock_fd_ = Open(lock_path, O_RDWR | O_CREAT, 0644);
  if (lock_fd_ < 0) {
    int err = errno;
    ::close(dir_fd_);
    Fail(lock_path, "cannot open the lock file", err);
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(lock_fd_);
    ::close(dir_fd_);
    if (err == EWOULDBLOCK) {
      throw StoreError(dir_ +
                       ": in use by another FileStore (its LOCK is held)");
    }
    Fail(lock_path, "cannot lock", err);
  }
  // A temp file is a Save that never reached its rename, so it never
  // counted: raft-state is still the last completed one.
  if (::unlink(temp_path_.c_str()) != 0 && errno != ENOENT) {
    int err = errno;
    ::close(lock_fd_);
    ::close(dir_fd_);
    Fail(temp_path_, "cannot remove the leftover temp file", err);
  }
}

FileStore::~FileStore() {
  ::close(lock_fd_);  // releases the flock
  ::close(dir_fd_);
}

std::pair<labrpc::Bytes, labrpc::Bytes> FileStore::Load() {
  const int fd = Open(state_path_, O_RDONLY);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    Fail(state_path_, "cannot open", errno);
  }
  std::string bytes;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    bytes.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      Fail(state_path_, "cannot read", err);
    }
    if (r == 0) break;
    bytes.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  return DecodeStateFile(bytes, state_path_);
}

void FileStore::Store(const labrpc::Bytes& raftstate,
                      const labrpc::Bytes& snapshot) {
  std::string header = EncodeStateHeader(raftstate.size(), snapshot.size());
  std::string trailer =
      EncodeU32(StateFileChecksum(header, raftstate, snapshot));
  const int fd = Open(temp_path_, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) Fail(temp_path_, "cannot create", errno);
  // Four pieces, so the blobs are not copied into one buffer first.
  iovec iov[4] = {{header.data(), header.size()},
                  {const_cast<char*>(raftstate.data()), raftstate.size()},
                  {const_cast<char*>(snapshot.data()), snapshot.size()},
                  {trailer.data(), trailer.size()}};
  const char* step = nullptr;
  if (!WriteAll(fd, iov, 4)) {
    step = "cannot write";
  } else if (::fsync(fd) != 0) {
    // After a failed fsync the page cache's state is unknown; never retry
    // on the same file, start again from the blobs.
    step = "cannot fsync";
  }
  int err = errno;
  if (::close(fd) != 0 && step == nullptr) {
    step = "cannot close";
    err = errno;
  }
  if (step == nullptr && ::rename(temp_path_.c_str(), state_path_.c_str())) {
    step = "cannot rename over raft-state";
    err = errno;
  }
  if (step != nullptr) {
    ::unlink(temp_path_.c_str());
    Fail(temp_path_, step, err);
  }
  // The rename itself is durable only once the directory is.
  if (::fsync(dir_fd_) != 0) Fail(dir_, "cannot fsync the directory", errno);
}

}  // namespace deploy
