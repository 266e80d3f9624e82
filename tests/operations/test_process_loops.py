"""operations.process_loops: one thread per loop and process, also when a loop is stopped and started again while
its thread is still in the middle of a pass."""

import threading

from operations.process_loops import start_process_loop


def test_a_loop_started_again_while_its_stopped_thread_finishes_a_pass_never_runs_two_passes_at_once():
    in_pass, finish, passes = threading.Event(), threading.Event(), []
    running, most_at_once = [0], [0]

    def slow_pass():
        running[0] += 1
        most_at_once[0] = max(most_at_once[0], running[0])
        passes.append(threading.current_thread())  # kept: an ended thread's ident is reused
        in_pass.set()
        finish.wait(5)
        running[0] -= 1

    stop = start_process_loop("test-slow-loop", slow_pass, every=0.01, first_now=True)
    assert in_pass.wait(5)
    stop.set()  # the old thread is in its pass
    in_pass.clear()
    restarted = threading.Event()
    starter = threading.Thread(target=lambda: (start_process_loop("test-slow-loop", slow_pass, every=0.01,
                                                                  first_now=True), restarted.set()))
    starter.start()
    waited_for_the_old_pass = not restarted.wait(0.5)
    finish.set()  # the old pass ends; the new loop starts
    starter.join(5)
    assert in_pass.wait(5)
    new_stop = start_process_loop("test-slow-loop", slow_pass, every=0.01)  # running: the same loop
    new_stop.set()

    assert waited_for_the_old_pass is True
    assert most_at_once[0] == 1
    assert len(set(passes)) == 2  # the old thread's passes, then the new one's
