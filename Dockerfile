# The official Odoo 18 image plus what the addon needs beyond it:
# numpy and scipy for the customer lifetime value fits.
FROM odoo:18
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-numpy python3-scipy fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
COPY docker/start.sh /usr/local/bin/zz-start
RUN chmod +x /usr/local/bin/zz-start
USER odoo
ENTRYPOINT ["/usr/local/bin/zz-start"]
