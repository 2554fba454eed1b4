"""Fill a database at a named size through the models' populate hooks.

    python3 -m bench.populate -c odoo.conf -d DB --size small|medium|large [--models helpdesk.ticket]

Odoo 18's ``odoo-bin populate`` only duplicates existing rows by ``--factors``;
this driver restores the size-based entry point of earlier versions on top of
the hooks defined in ``helpdesk_ticket/populate`` (``_populate_sizes``,
``_populate_dependencies``, ``_populate_factories``, ``_populate``):
dependencies first, then each model at the requested size, one commit per model."""
import argparse
import logging
import time

DEFAULT_MODELS = "helpdesk.department,helpdesk.ticket"


def ordered(env, names):
    """Models with their populate dependencies first (only the ones with a ``_populate``)."""
    seen, out = set(), []

    def visit(name):
        if name in seen or name not in env:
            return
        seen.add(name)
        for dep in getattr(env[name], "_populate_dependencies", []):
            visit(dep)
        if hasattr(env[name], "_populate") and hasattr(env[name], "_populate_sizes"):
            out.append(name)

    for name in names:
        visit(name)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--conf", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--size", default="small", choices=["small", "medium", "large"])
    parser.add_argument("--models", default=DEFAULT_MODELS)
    args = parser.parse_args(argv)

    import odoo
    from odoo.modules.registry import Registry
    odoo.tools.config.parse_config(["-c", args.conf, "--log-level=info"])
    logging.getLogger("odoo.addons").setLevel(logging.INFO)
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": False})
        for name in ordered(env, args.models.split(",")):
            t0 = time.time()
            records = env[name]._populate(args.size)
            env.flush_all()
            cr.commit()
            cr.execute(f'SELECT count(*) FROM "{env[name]._table}"')
            print(f"populate {name} ({args.size}): {len(records)} created through the ORM, "
                  f"{cr.fetchone()[0]} rows now, {time.time() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
