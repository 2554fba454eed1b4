from odoo.addons.helpdesk_ticket.tests.common import HelpdeskCommon


class PhoneCommon(HelpdeskCommon):
    """The company is in Thailand; a Thai and an Iranian customer with numbers
    written the way people write them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.thailand = cls.env.ref("base.th")
        cls.iran = cls.env.ref("base.ir")
        cls.company.country_id = cls.thailand
        cls.customer.write({"country_id": cls.thailand.id, "phone": "081-234-5678"})
        cls.persian_customer = cls.env["res.partner"].create({
            "name": "Parisa Customer", "email": "parisa@example.ir",
            "country_id": cls.iran.id, "mobile": "0912 345 6789", "phone": "021-8888-7777",
        })
