"""The lifecycle hooks seen from the channels: each channel's test class mixes
``CustomerMessageChannelCase`` in and says how its customer writes
(``_customer_writes``); the same checks then run for every channel."""
from contextlib import contextmanager
from unittest.mock import patch


class LifecycleHooksMixin:
    """Helpers for a HelpdeskCommon test."""

    @contextmanager
    def spy_hook(self, name, on_call=None):
        """Record the calls of the lifecycle hook ``name`` of helpdesk.ticket (the
        real hook still runs): a list of (tickets, arguments...) tuples.
        ``on_call(tickets, *args)``: also called at each call, before the hook."""
        Ticket = self.registry["helpdesk.ticket"]
        original = getattr(Ticket, name)
        calls = []

        def spy(records, *args):
            calls.append((records, *args))
            if on_call:
                on_call(records, *args)
            return original(records, *args)

        with patch.object(Ticket, name, spy):
            yield calls


class CustomerMessageChannelCase(LifecycleHooksMixin):
    """A customer message delivered by one channel (mail, portal, chat, API) has
    the effects of every channel's: ``_on_customer_message`` called once with the
    received message, its date recorded, a ticket waiting on the customer back in
    the stage it had before, a closed ticket reopened within the reopen window.

    Subclasses define ``_channel_ticket()`` (a ticket of the channel, default: a
    ticket of department A for the customer) and ``_customer_writes(ticket, text)``
    returning the mail.message the channel received."""

    def _channel_ticket(self):
        return self._create_ticket()

    def _customer_writes(self, ticket, text):
        raise NotImplementedError

    def _deliver(self, ticket, text):
        with self.spy_hook("_on_customer_message") as calls, self.spy_hook("_on_agent_message") as agent_calls:
            message = self._customer_writes(ticket, text)
        self.assertTrue(message, "the channel received the message")
        self.assertEqual(len(calls), 1, "_on_customer_message called once")
        self.assertEqual(calls[0][0].ids, ticket.ids)
        self.assertEqual(calls[0][1], message)
        self.assertFalse(agent_calls, "a customer message is no agent message")
        ticket.invalidate_recordset()
        self.assertEqual(ticket.date_last_customer_message, message.date)
        return message

    def test_customer_message_resumes_waiting_ticket(self):
        ticket = self._channel_ticket()
        ticket.stage_id = self.stage_progress
        ticket.stage_id = self.stage_waiting
        self.assertEqual(ticket.stage_before_waiting_id, self.stage_progress)
        self._deliver(ticket, "Here is the log you asked for")
        self.assertEqual(ticket.stage_id, self.stage_progress, "back to the stage before waiting")

    def test_customer_message_reopens_within_window(self):
        ticket = self._channel_ticket()
        ticket.action_close()
        self.assertTrue(ticket.closed)
        self._deliver(ticket, "It is broken again")
        self.assertFalse(ticket.closed, "reopened within the department's reopen window")
        self.assertEqual(ticket.reopen_count, 1)
        self.assertFalse(ticket.date_closed)
