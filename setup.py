"""Install the Odoo Helpdesk addons into the ``odoo.addons`` namespace.

Odoo 18.0 itself is not on PyPI: install it from source first (see README.md).
"""
import os

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
ADDONS = sorted(
    name
    for name in os.listdir(HERE)
    if os.path.isfile(os.path.join(HERE, name, "__manifest__.py"))
)

GATEWAY_REQUIRES = [
    "odoo-addon-mail-gateway==18.0.*",
    "odoo-addon-mail-gateway-whatsapp==18.0.*",
    "odoo-addon-mail-gateway-telegram==18.0.*",
    "odoo-addon-mail-gateway-instagram==18.0.*",
]


def _package_data(addon):
    files = []
    root = os.path.join(HERE, addon)
    for dirpath, _dirnames, filenames in os.walk(root):
        if "__pycache__" in dirpath:
            continue
        for filename in filenames:
            if not filename.endswith((".py", ".pyc")):
                files.append(os.path.relpath(os.path.join(dirpath, filename), root))
    return files


packages = []
package_dir = {}
package_data = {}
for addon in ADDONS:
    for dirpath, _dirnames, filenames in os.walk(os.path.join(HERE, addon)):
        if "__init__.py" in filenames:
            rel = os.path.relpath(dirpath, HERE)
            package = "odoo.addons." + rel.replace(os.sep, ".")
            packages.append(package)
            package_dir[package] = rel
    package_data["odoo.addons." + addon] = _package_data(addon)

setup(
    name="odoo-helpdesk",
    version="18.0.1.0.0",
    description="A complete ticketing desk inside the Odoo 18.0 CRM",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    # helpdesk_gateway and mail_gateway_line are AGPL-3 (they build on OCA's mail_gateway)
    license="LGPL-3 AND AGPL-3",
    python_requires=">=3.10",
    install_requires=["odoo>=18.0,<18.1"],
    packages=packages,
    package_dir=package_dir,
    package_data=package_data,
    include_package_data=False,
    zip_safe=False,
    classifiers=[
        "Framework :: Odoo",
        "Framework :: Odoo :: 18.0",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
        "License :: OSI Approved :: GNU Affero General Public License v3",
        "Programming Language :: Python :: 3",
    ],
    extras_require={
        "test": [line for line in open(os.path.join(HERE, "requirements-test.txt")) if line[0].isalnum()],
        # OCA's messaging gateway and connectors (AGPL-3): needed by helpdesk_gateway and
        # mail_gateway_line only; the core addons never depend on them
        "gateway": GATEWAY_REQUIRES,
    },
)
