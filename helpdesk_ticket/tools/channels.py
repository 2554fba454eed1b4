"""The channels of tickets as a selection for other models (SLA policies, the ticket
analysis...): the ticket's own, with those other addons add to it (messaging apps),
so that a model filtering or reporting on the channel never falls behind."""


def ticket_channel_selection(records):
    """Selection of ``helpdesk.ticket.channel`` (labels in the language of
    ``records``' environment), for ``fields.Selection(ticket_channel_selection)``."""
    return records.env["helpdesk.ticket"]._fields["channel"]._description_selection(records.env)
