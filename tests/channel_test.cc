// Tests of labrpc::Channel (labrpc/channel.h) under both backends:
// unbuffered rendezvous, buffered capacity, FIFO order, Close, ReceiveFor's
// three outcomes, TryReceive, and many producers and consumers.
//
// Under sim, times are asserted exactly; under real, only their lower bound.
#include "labrpc/channel.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "labrpc/runtime.h"
#include "tests/runtime_test_util.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using labrpc::Channel;
using labrpc::Duration;
using labrpc::MisuseError;
using labrpc::MutexLock;
using labrpc::RecvStatus;
using std::chrono::hours;
using std::chrono::seconds;

// Asserts `elapsed` is exactly `want` under sim and at least `want` under
// real (where the scheduler may be late, never early).
void ExpectElapsed(Duration elapsed, Duration want) {
  if (InSim()) {
    EXPECT_EQ(elapsed, want);
  } else {
    EXPECT_GE(elapsed, want);
  }
}

TEST(Runtime, ChannelUnbufferedRendezvous) {
  RunInWorld([] {
    Channel<int> ch(0, "rendezvous");
    labrpc::Mutex mu("state");
    bool send_returned = false;
    Duration send_returned_at{};
    labrpc::WaitGroup wg;
    wg.Add(1);
    Duration t0 = labrpc::Now();
    labrpc::Go("sender", [&] {
      ch.Send(42);
      {
        MutexLock l(mu);
        send_returned = true;
        send_returned_at = labrpc::Now();
      }
      wg.Done();  // last: the root may end the world once all are done
    });
    labrpc::Sleep(Ms(100));
    {
      MutexLock l(mu);
      EXPECT_FALSE(send_returned) << "Send returned before any Receive";
    }
    Duration received_at = labrpc::Now();
    std::optional<int> v = ch.Receive();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, 42);
    wg.Wait();
    MutexLock l(mu);
    EXPECT_TRUE(send_returned);
    EXPECT_GE(send_returned_at, received_at);
    ExpectElapsed(send_returned_at - t0, Ms(100));
  });
}

TEST(Runtime, ChannelUnbufferedReceiverWaitsForSender) {
  RunInWorld([] {
    Channel<std::string> ch(0, "late-sender");
    labrpc::WaitGroup wg;
    wg.Add(1);
    Duration t0 = labrpc::Now();  // before the sender starts its sleep
    labrpc::Go("sender", [&] {
      labrpc::Sleep(Ms(70));
      ch.Send("hello");
      wg.Done();
    });
    std::optional<std::string> v = ch.Receive();
    ExpectElapsed(labrpc::Now() - t0, Ms(70));
    EXPECT_EQ(v, std::optional<std::string>("hello"));
    wg.Wait();
  });
}

TEST(Runtime, ChannelBufferedCapacity) {
  RunInWorld([] {
    constexpr int kCapacity = 3;
    constexpr int kItems = 6;
    Channel<int> ch(kCapacity, "bounded");
    labrpc::Mutex mu("sent");
    int sent = 0;
    labrpc::WaitGroup wg;
    wg.Add(1);
    labrpc::Go("producer", [&] {
      for (int i = 0; i < kItems; i++) {
        ch.Send(i);
        MutexLock l(mu);
        sent++;
      }
      wg.Done();
    });
    auto sent_is = [&](int n) {
      MutexLock l(mu);
      return sent == n;
    };
    // The producer fills the buffer; a Send past capacity would show up
    // within the extra 50 ms.
    EXPECT_TRUE(WaitUntil([&] { return sent_is(kCapacity); }, seconds(10)));
    labrpc::Sleep(Ms(50));
    EXPECT_TRUE(sent_is(kCapacity)) << "Send must block only when full";
    EXPECT_EQ(ch.size(), static_cast<size_t>(kCapacity));
    EXPECT_EQ(ch.Receive(), std::optional<int>(0));
    EXPECT_TRUE(WaitUntil([&] { return sent_is(kCapacity + 1); }, seconds(10)));
    labrpc::Sleep(Ms(50));
    EXPECT_TRUE(sent_is(kCapacity + 1));
    for (int want = 1; want < kItems; want++) {
      EXPECT_EQ(ch.Receive(), std::optional<int>(want));
    }
    wg.Wait();
    EXPECT_EQ(ch.size(), 0u);
  });
}

TEST(Runtime, ChannelFifoOrder) {
  RunInWorld([] {
    for (size_t capacity : {size_t{0}, size_t{1}, size_t{1000}}) {
      Channel<int> ch(capacity, "fifo");
      labrpc::WaitGroup wg;
      wg.Add(1);
      labrpc::Go("producer", [&] {
        for (int i = 0; i < 500; i++) {
          ch.Send(i);
          if (i % 50 == 0) labrpc::Sleep(Ms(1));
        }
        wg.Done();
      });
      for (int want = 0; want < 500; want++) {
        std::optional<int> v = ch.Receive();
        ASSERT_TRUE(v.has_value());
        ASSERT_EQ(*v, want) << "capacity " << capacity;
        if (want % 70 == 0) labrpc::Sleep(Ms(1));
      }
      wg.Wait();
    }
  });
}

TEST(Runtime, ChannelCloseDrainsThenNullopt) {
  RunInWorld([] {
    Channel<int> ch(4, "closing");
    ch.Send(1);
    ch.Send(2);
    ch.Send(3);
    EXPECT_FALSE(ch.closed());
    ch.Close();
    EXPECT_TRUE(ch.closed());
    EXPECT_EQ(ch.Receive(), std::optional<int>(1));
    EXPECT_EQ(ch.TryReceive(), std::optional<int>(2));
    int out = 0;
    EXPECT_EQ(ch.ReceiveFor(seconds(1), &out), RecvStatus::kOk);
    EXPECT_EQ(out, 3);
    // Drained: every receive reports the close, at once.
    Duration t0 = labrpc::Now();
    EXPECT_EQ(ch.Receive(), std::nullopt);
    EXPECT_EQ(ch.Receive(), std::nullopt);
    EXPECT_EQ(ch.TryReceive(), std::nullopt);
    EXPECT_EQ(ch.ReceiveFor(seconds(1), &out), RecvStatus::kClosed);
    if (InSim()) {
      EXPECT_EQ(labrpc::Now(), t0);
    }
    // Go panics here; the runtime throws MisuseError.
    try {
      ch.Send(4);
      ADD_FAILURE() << "Send on a closed channel did not throw";
    } catch (const MisuseError& e) {
      EXPECT_TRUE(Contains(e.what(), "send on closed channel"));
    }
    try {
      ch.Close();
      ADD_FAILURE() << "double Close did not throw";
    } catch (const MisuseError& e) {
      EXPECT_TRUE(Contains(e.what(), "close of closed channel"));
    }
  });
}

TEST(Runtime, ChannelCloseWakesBlockedReceiversAndSenders) {
  RunInWorld([] {
    Channel<int> empty(0, "empty");
    Channel<int> full(1, "full");
    full.Send(0);
    labrpc::Mutex mu("results");
    int nullopts = 0;
    int send_errors = 0;
    labrpc::WaitGroup wg;
    wg.Add(4);
    for (int i = 0; i < 3; i++) {
      labrpc::Go("receiver", [&] {
        std::optional<int> v = empty.Receive();
        {
          MutexLock l(mu);
          if (!v) nullopts++;
        }
        wg.Done();
      });
    }
    labrpc::Go("blocked-sender", [&] {
      try {
        full.Send(1);
      } catch (const MisuseError&) {
        MutexLock l(mu);
        send_errors++;
      }
      wg.Done();
    });
    labrpc::Sleep(Ms(50));
    {
      MutexLock l(mu);
      EXPECT_EQ(nullopts, 0);
      EXPECT_EQ(send_errors, 0);
    }
    Duration t0 = labrpc::Now();
    empty.Close();
    full.Close();
    wg.Wait();
    if (InSim()) {
      EXPECT_EQ(labrpc::Now(), t0);
    }
    MutexLock l(mu);
    EXPECT_EQ(nullopts, 3);
    EXPECT_EQ(send_errors, 1);
    // The item buffered before the close is still delivered.
    EXPECT_EQ(full.Receive(), std::optional<int>(0));
    EXPECT_EQ(full.Receive(), std::nullopt);
  });
}

TEST(Runtime, ChannelReceiveForStatuses) {
  RunInWorld([] {
    Channel<int> ch(0, "timed");
    int out = -1;

    // Timeout: nothing arrives.
    Duration t0 = labrpc::Now();
    EXPECT_EQ(ch.ReceiveFor(Ms(200), &out), RecvStatus::kTimeout);
    ExpectElapsed(labrpc::Now() - t0, Ms(200));
    EXPECT_EQ(out, -1) << "a timed-out receive must not write *out";
    t0 = labrpc::Now();
    EXPECT_EQ(ch.ReceiveFor(Duration::zero(), &out), RecvStatus::kTimeout);
    if (InSim()) {
      EXPECT_EQ(labrpc::Now(), t0);
    }

    // Ok: a value arrives before the deadline.
    labrpc::WaitGroup wg;
    wg.Add(1);
    t0 = labrpc::Now();
    labrpc::Go("sender", [&] {
      labrpc::Sleep(Ms(30));
      ch.Send(7);
      wg.Done();
    });
    EXPECT_EQ(ch.ReceiveFor(seconds(10), &out), RecvStatus::kOk);
    EXPECT_EQ(out, 7);
    ExpectElapsed(labrpc::Now() - t0, Ms(30));
    wg.Wait();

    // Closed: the channel closes before the deadline.
    wg.Add(1);
    out = -1;
    t0 = labrpc::Now();
    labrpc::Go("closer", [&] {
      labrpc::Sleep(Ms(40));
      ch.Close();
      wg.Done();
    });
    EXPECT_EQ(ch.ReceiveFor(seconds(10), &out), RecvStatus::kClosed);
    EXPECT_EQ(out, -1);
    ExpectElapsed(labrpc::Now() - t0, Ms(40));
    if (!InSim()) {
      EXPECT_LT(labrpc::Now() - t0, seconds(10));
    }
    wg.Wait();
  });
}

TEST(Runtime, ChannelTryReceive) {
  RunInWorld([] {
    Channel<int> buffered(2, "try-buffered");
    EXPECT_EQ(buffered.TryReceive(), std::nullopt);
    buffered.Send(5);
    EXPECT_EQ(buffered.TryReceive(), std::optional<int>(5));
    EXPECT_EQ(buffered.TryReceive(), std::nullopt);

    // Unbuffered: TryReceive takes a waiting sender's value and releases it.
    Channel<int> unbuffered(0, "try-unbuffered");
    EXPECT_EQ(unbuffered.TryReceive(), std::nullopt);
    labrpc::Mutex mu("released");
    bool released = false;
    labrpc::WaitGroup wg;
    wg.Add(1);
    labrpc::Go("sender", [&] {
      unbuffered.Send(9);
      {
        MutexLock l(mu);
        released = true;
      }
      wg.Done();
    });
    // The sender has offered its value once it is in the channel.
    ASSERT_TRUE(WaitUntil([&] { return unbuffered.size() == 1; }, seconds(10)));
    labrpc::Sleep(Ms(20));
    {
      MutexLock l(mu);
      EXPECT_FALSE(released);
    }
    EXPECT_EQ(unbuffered.TryReceive(), std::optional<int>(9));
    wg.Wait();
    MutexLock l(mu);
    EXPECT_TRUE(released);
  });
}

TEST(Runtime, ChannelMoveOnlyValues) {
  RunInWorld([] {
    Channel<std::unique_ptr<int>> ch(1, "move-only");
    ch.Send(std::make_unique<int>(3));
    std::optional<std::unique_ptr<int>> v = ch.Receive();
    ASSERT_TRUE(v.has_value());
    ASSERT_NE(*v, nullptr);
    EXPECT_EQ(**v, 3);
  });
}

TEST(Runtime, ChannelManyProducersAndConsumers) {
  RunInWorld([] {
    constexpr int kProducers = 6;
    constexpr int kConsumers = 4;
    constexpr int kPerProducer = 200;
    for (size_t capacity : {size_t{0}, size_t{5}}) {
      Channel<int> ch(capacity, "work");
      labrpc::Mutex mu("totals");
      long long sum = 0;
      int count = 0;
      std::vector<int> per_consumer(kConsumers, 0);
      labrpc::WaitGroup producers;
      labrpc::WaitGroup consumers;
      producers.Add(kProducers);
      consumers.Add(kConsumers);
      for (int p = 0; p < kProducers; p++) {
        labrpc::Go("producer-" + std::to_string(p), [&] {
          for (int v = 1; v <= kPerProducer; v++) {
            ch.Send(v);
            if (labrpc::RandInt(8) == 0) labrpc::Sleep(Ms(labrpc::RandInt(3)));
          }
          producers.Done();
        });
      }
      for (int c = 0; c < kConsumers; c++) {
        labrpc::Go("consumer-" + std::to_string(c), [&, c] {
          long long my_sum = 0;
          int my_count = 0;
          while (std::optional<int> v = ch.Receive()) {
            my_sum += *v;
            my_count++;
            if (labrpc::RandInt(8) == 0) labrpc::Sleep(Ms(labrpc::RandInt(3)));
          }
          {
            MutexLock l(mu);
            sum += my_sum;
            count += my_count;
            per_consumer[static_cast<size_t>(c)] = my_count;
          }
          consumers.Done();
        });
      }
      producers.Wait();
      ch.Close();
      consumers.Wait();
      MutexLock l(mu);
      EXPECT_EQ(count, kProducers * kPerProducer) << "capacity " << capacity;
      EXPECT_EQ(sum, static_cast<long long>(kProducers) * kPerProducer *
                         (kPerProducer + 1) / 2)
          << "capacity " << capacity;
      int busy = 0;
      for (int n : per_consumer) busy += n > 0;
      EXPECT_GE(busy, 2) << "work should spread over consumers";
    }
  });
}

}  // namespace
}  // namespace raftlab_test
