"""The several-queue event loop by hand: chat slots, oldest first, voice before chat, longest idle, e-mail."""

from __future__ import annotations

import numpy as np

from optimizer.simulation.routing import CHAT, EMAIL, VOICE, Contacts, run_queues

INF = np.inf


def play(contacts, channel, skills, agents, *, concurrency=None, email_limit=None, interval_s=3600.0, windows=None):
    """Run one replication of hand-made contacts ``(queue, arrival_s, handle_s)``; return starts and groups."""
    queue, arrival, handle = (np.array([[c[i] for c in contacts]], dtype=float) for i in range(3))
    merged = Contacts(queue.astype(np.int64), arrival, handle, np.full(arrival.shape, INF))
    cap = concurrency or [1] * len(channel)
    out = run_queues(merged, channel, cap, skills, np.array(agents), interval_s, email_limit, None, windows)
    return out.start_s[0].tolist(), out.group[0].tolist()


def test_a_chatting_agent_holds_up_to_concurrency_chats_and_takes_no_call():
    # one agent for voice and chat, two chat slots
    contacts = [(1, 0.0, 100.0), (1, 1.0, 100.0), (0, 10.0, 50.0), (1, 20.0, 10.0)]
    starts, groups = play(contacts, [VOICE, CHAT], [[0, 1]], [[1]], concurrency=[1, 2])
    # chats 0 and 1 share the agent; the call (oldest waiting at 100) goes first, the last chat after it
    assert starts == [0.0, 1.0, 101.0, 151.0]
    assert groups == [0, 0, 0, 0]


def test_a_freed_agent_takes_the_oldest_live_contact_and_e_mail_only_when_none_waits():
    # one agent for voice, chat and e-mail; busy on a call until 100
    contacts = [(0, 0.0, 100.0), (2, 1.0, 30.0), (1, 10.0, 30.0), (0, 20.0, 30.0)]
    starts, _ = play(contacts, [VOICE, CHAT, EMAIL], [[0, 1, 2]], [[1]])
    assert starts == [0.0, 160.0, 100.0, 130.0]  # the chat (older), the call, then the e-mail


def test_voice_goes_before_chat_on_equal_waits_and_the_longest_idle_agent_answers():
    contacts = [(1, 0.0, 10.0), (0, 0.0, 10.0)]
    starts, _ = play(contacts, [VOICE, CHAT], [[0, 1]], [[0, 1]], interval_s=50.0)
    assert starts == [60.0, 50.0]  # both waiting when the agent joins at 50: the call first
    # two groups: the phone-only agent has been idle since 0, the all-round agent since its call ended at 5
    contacts = [(0, 0.0, 5.0), (0, 5.5, 10.0), (0, 6.0, 10.0)]
    _, groups = play(contacts, [VOICE], [[0], [0]], [[0, 1], [1, 1]], interval_s=5.0)
    assert groups == [1, 0, 1]


def test_e_mail_in_window_first_takes_the_oldest_still_in_its_window_and_late_ones_after():
    # one agent busy on an e-mail until 100; e-mails at 1 and 50 wait; window 60 s
    contacts = [(0, 0.0, 100.0), (0, 1.0, 10.0), (0, 50.0, 10.0)]
    in_window, _ = play(contacts, [EMAIL], [[0]], [[1]], windows=[60.0])
    assert in_window == [0.0, 110.0, 100.0]  # at 100 the e-mail of 1 is past its window, that of 50 is not
    oldest, _ = play(contacts, [EMAIL], [[0]], [[1]])
    assert oldest == [0.0, 100.0, 110.0]


def test_the_planned_e_mail_limit_keeps_e_mail_waiting_until_its_interval():
    contacts = [(0, 10.0, 100.0)]
    assert play(contacts, [EMAIL], [[0]], [[1, 1]], email_limit=np.array([[0, 1]]))[0] == [3600.0]
    assert play(contacts, [EMAIL], [[0]], [[1, 1]])[0] == [10.0]


def test_a_leaving_agent_finishes_the_contact_in_hand_and_joining_ones_take_waiting_work():
    contacts = [(0, 3590.0, 600.0), (0, 3610.0, 60.0), (0, 7300.0, 60.0)]
    starts, _ = play(contacts, [VOICE], [[0]], [[1, 0, 1]])
    assert starts == [3590.0, 7200.0, 7300.0]


def test_chatting_agents_drained_for_a_call_take_chats_again_once_someone_answers_it():
    # group 0: voice + chat, two slots; group 1: phone only, joins at 50
    contacts = [(1, 0.0, 1000.0), (0, 10.0, 30.0), (1, 20.0, 10.0)]
    starts, groups = play(contacts, [VOICE, CHAT], [[0, 1], [0]], [[1, 1], [0, 1]], concurrency=[1, 2], interval_s=50.0)
    # the chatting agent drains for the call; the phone agent answers it at 50 and the chat gets the free slot
    assert starts == [0.0, 50.0, 50.0]
    assert groups == [0, 1, 0]
