"""The package on disk and as an artifact: ``akua.toml`` (``akua_toml``, checked as Akua's parser checks it),
``akua.lock`` (``akua_lock``), the typed manifest the steps read (``model``), loading them once
(``loader``), the walk and the packing of the layer (``packing``, with its tar writer ``tar_stream`` and
the compressed file ``layer_file``), and the OCI manifest around it (``manifest``).

Pure file-system and byte logic: may import the base modules only.
"""
