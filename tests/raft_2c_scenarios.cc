// 2C test bodies that another suite runs as they are; see
// raft_2c_scenarios.h.
#include "tests/raft_2c_scenarios.h"

namespace raftlab_test {

void TestPersist12C(const RaftConfigPtr& cfg) {
  const int servers = cfg->n();
  cfg->Begin("Test (2C): basic persistence");

  cfg->One(11, servers, true);

  // Crash and restart everyone.
  for (int i = 0; i < servers; i++) cfg->Start1(i);
  for (int i = 0; i < servers; i++) {
    cfg->Disconnect(i);
    cfg->Connect(i);
  }

  cfg->One(12, servers, true);

  int leader1 = cfg->CheckOneLeader();
  cfg->Disconnect(leader1);
  cfg->Start1(leader1);
  cfg->Connect(leader1);

  cfg->One(13, servers, true);

  int leader2 = cfg->CheckOneLeader();
  cfg->Disconnect(leader2);
  cfg->One(14, servers - 1, true);
  cfg->Start1(leader2);
  cfg->Connect(leader2);

  cfg->Wait(4, servers, -1);  // wait for leader2 to join before killing i3

  int i3 = (cfg->CheckOneLeader() + 1) % servers;
  cfg->Disconnect(i3);
  cfg->One(15, servers - 1, true);
  cfg->Start1(i3);
  cfg->Connect(i3);

  cfg->One(16, servers, true);

  cfg->End();
}

}  // namespace raftlab_test
