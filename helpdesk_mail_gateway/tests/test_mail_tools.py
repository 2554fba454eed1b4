"""Pure helpers of the gateway: DMARC verdicts read from Authentication-Results."""
import unittest

from odoo.addons.helpdesk_mail_gateway.mail_tools import dmarc_failed_domain


class TestDmarcVerdict(unittest.TestCase):
    def test_failure_of_the_from_domain(self):
        header = "mx.example; spf=fail smtp.mailfrom=bank.example; dmarc=fail (p=REJECT) header.from=bank.example"
        self.assertEqual(dmarc_failed_domain(header, "bank.example"), "bank.example")
        self.assertEqual(dmarc_failed_domain(header, "BANK.example"), "bank.example")

    def test_no_failure(self):
        for header in (
            "mx.example; dmarc=pass header.from=bank.example",
            "mx.example; dmarc=none header.from=bank.example",
            "mx.example; spf=fail smtp.mailfrom=bank.example",
            "",
            None,
        ):
            with self.subTest(header=header):
                self.assertEqual(dmarc_failed_domain(header, "bank.example"), "")

    def test_failure_of_another_domain_is_not_the_senders(self):
        header = "mx.example; dmarc=fail header.from=other.example"
        self.assertEqual(dmarc_failed_domain(header, "bank.example"), "")

    def test_failure_without_header_from_is_the_senders(self):
        self.assertEqual(dmarc_failed_domain("mx.example; dmarc=fail", "bank.example"), "bank.example")
        self.assertEqual(dmarc_failed_domain("mx.example; dmarc=fail", ""), "")
