// CRC-32C (Castagnoli, the iSCSI/ext4/LevelDB checksum), for the on-disk
// state file. Written here, slice-by-8 in portable C++, to keep the kit free
// of a new dependency; a few GB/s is ample for a Save that also fsyncs.
//
//   uint32_t c = deploy::Crc32c(bytes);              // one buffer
//   uint32_t c2 = deploy::Crc32c(more, c);           // continue over more
//   // Crc32c(a + b) == Crc32c(b, Crc32c(a))
#ifndef RAFTLAB_DEPLOY_CRC32C_H_
#define RAFTLAB_DEPLOY_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace deploy {

// The CRC-32C of `data`, continuing from `crc` (the CRC of what came
// before; 0 to start). Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_CRC32C_H_
