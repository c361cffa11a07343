#!/usr/bin/env python3
"""crashfs: a FUSE file system that models a volatile page cache, for power-loss tests.

Everything a program writes is seen at once by reads, as on any file system. What survives a power cut is only
what was made durable:
- a file's contents and size (writes, truncates, allocations) become durable at fsync/fdatasync of that file, or
  at once for writes through a descriptor opened with O_SYNC or O_DSYNC;
- directory entries (a new file or directory, a rename, an unlink) become durable at an fsync of the directory
  that holds them in strict mode (`--strict`); without it, at once (a file system that journals its metadata
  synchronously, the "data only" model).

The durable state lives in a backing folder on a real disk (`meta.json` and `data/<inode>`); the volatile state
lives in this process. A power cut is this process ending: `cut` on the control socket (optionally keeping, for
each file, a random in-order prefix of its writes since its last sync: a torn tail), then the mount is gone.
Mounting again over the same backing folder starts from what was durable.

Not modelled: write-back in another order than the writes were made (a later write durable, an earlier one
not), and ext4's habit of committing pending metadata with any fsync. The model is stricter than ext4 there.

Usage: crashfs.py BACKING MOUNTPOINT --control SOCKET [--strict]
Control commands (one line each, answered by one line): `stats` (JSON counters), `cut SEED TEAR` (TEAR 0 or 1;
answers `ok` and exits).
"""
import argparse
import errno
import json
import os
import random
import socket
import stat
import sys
import threading
import time

import mfusepy as fuse


class Inode:
    def __init__(self, number, kind, mode):
        self.number = number
        self.kind = kind  # "f" or "d"
        self.mode = mode
        self.data = bytearray()  # files: what reads see
        self.entries = {}  # directories: name -> inode number, what lookups see
        self.pending = []  # files: ("w", offset, bytes) or ("t", size) since the last sync, in order


class Model:
    """The volatile and durable states, and the operations that move one to the other."""

    def __init__(self, backing, strict):
        self.backing = os.path.abspath(backing)
        self.strict = strict
        self.lock = threading.RLock()
        self.stats = {"fsync": 0, "fsyncdir": 0, "create": 0, "mkdir": 0, "rename": 0, "unlink": 0, "write": 0}
        os.makedirs(os.path.join(self.backing, "data"), exist_ok=True)
        meta_path = os.path.join(self.backing, "meta.json")
        if os.path.exists(meta_path):
            with open(meta_path) as handle:
                meta = json.load(handle)
        else:
            meta = {"next": 2, "inodes": {"1": ["d", 0o755]}, "dirs": {"1": {}}}
        self.durable = meta
        self.next = meta["next"]
        self.inodes = {}
        for number, (kind, mode) in meta["inodes"].items():
            node = Inode(int(number), kind, mode)
            if kind == "d":
                node.entries = dict(meta["dirs"].get(number, {}))
            else:
                path = self.data_path(node.number)
                if os.path.exists(path):
                    with open(path, "rb") as handle:
                        node.data = bytearray(handle.read())
            self.inodes[node.number] = node
        self.handles = {}  # fh -> (inode number, synchronous writes)
        self.next_handle = 1

    # -- durable state ------------------------------------------------------------------------------------
    def data_path(self, number):
        return os.path.join(self.backing, "data", str(number))

    def save_meta(self):
        self.durable["next"] = self.next
        temporary = os.path.join(self.backing, "meta.json.tmp")
        with open(temporary, "w") as handle:
            json.dump(self.durable, handle)
        os.replace(temporary, os.path.join(self.backing, "meta.json"))

    def make_inode_durable(self, node):
        """Records the inode's kind and mode (not its contents or entries) in the durable state."""
        key = str(node.number)
        if key not in self.durable["inodes"]:
            self.durable["inodes"][key] = [node.kind, node.mode]
            if node.kind == "d":
                self.durable["dirs"].setdefault(key, {})

    def apply_to_durable(self, node, operations):
        path = self.data_path(node.number)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for operation in operations:
                if operation[0] == "w":
                    os.pwrite(descriptor, operation[2], operation[1])
                else:
                    os.ftruncate(descriptor, operation[1])
        finally:
            os.close(descriptor)

    def sync_file(self, node):
        if node.pending:
            self.apply_to_durable(node, node.pending)
            node.pending = []

    def sync_directory(self, node):
        """The directory's entries as they are now become its durable entries."""
        for number in node.entries.values():
            self.make_inode_durable(self.inodes[number])
        self.durable["dirs"][str(node.number)] = dict(node.entries)
        self.save_meta()

    def directory_changed(self, *directories):
        """In the data-only model a directory change is durable at once."""
        if not self.strict:
            for directory in directories:
                self.sync_directory(directory)

    def cut(self, seed, tear):
        """The power goes: with `tear`, each file keeps a random in-order prefix of its un-synced writes."""
        if tear:
            chooser = random.Random(seed)
            for node in sorted(self.inodes.values(), key=lambda n: n.number):
                if node.kind == "f" and node.pending and str(node.number) in self.durable["inodes"]:
                    keep = chooser.randrange(len(node.pending) + 1)
                    if keep:
                        self.apply_to_durable(node, node.pending[:keep])

    # -- lookups ------------------------------------------------------------------------------------------
    def lookup(self, path):
        node = self.inodes[1]
        for part in [p for p in path.split("/") if p]:
            if node.kind != "d" or part not in node.entries:
                raise fuse.FuseOSError(errno.ENOENT)
            node = self.inodes[node.entries[part]]
        return node

    def parent_and_name(self, path):
        head, name = os.path.split(path.rstrip("/"))
        parent = self.lookup(head or "/")
        if parent.kind != "d":
            raise fuse.FuseOSError(errno.ENOTDIR)
        return parent, name

    def new_inode(self, kind, mode):
        node = Inode(self.next, kind, mode & 0o7777)
        self.next += 1
        self.inodes[node.number] = node
        return node

    def open_handle(self, node, flags):
        handle = self.next_handle
        self.next_handle += 1
        self.handles[handle] = (node.number, bool(flags & (os.O_SYNC | os.O_DSYNC)))
        return handle


class CrashFS(fuse.Operations):
    use_ns = True

    def __init__(self, model):
        self.model = model
        self.started = time.time_ns()

    def node(self, path, fh=None):
        if fh is not None and fh in self.model.handles:
            return self.model.inodes[self.model.handles[fh][0]]
        return self.model.lookup(path)

    def getattr(self, path, fh=None):
        with self.model.lock:
            node = self.node(path, fh)
            kind = stat.S_IFDIR if node.kind == "d" else stat.S_IFREG
            return {"st_mode": kind | node.mode, "st_nlink": 2 if node.kind == "d" else 1,
                    "st_size": len(node.data), "st_uid": os.getuid(), "st_gid": os.getgid(), "st_ino": node.number,
                    "st_atime": self.started, "st_mtime": self.started, "st_ctime": self.started,
                    "st_blocks": (len(node.data) + 511) // 512, "st_blksize": 4096}

    def readdir(self, path, fh):
        with self.model.lock:
            return [".", ".."] + list(self.model.lookup(path).entries)

    def opendir(self, path):
        with self.model.lock:
            if self.model.lookup(path).kind != "d":
                raise fuse.FuseOSError(errno.ENOTDIR)
            return 0

    def releasedir(self, path, fh):
        return 0

    def mkdir(self, path, mode):
        with self.model.lock:
            parent, name = self.model.parent_and_name(path)
            if name in parent.entries:
                raise fuse.FuseOSError(errno.EEXIST)
            node = self.model.new_inode("d", mode)
            parent.entries[name] = node.number
            self.model.stats["mkdir"] += 1
            self.model.directory_changed(parent)
            return 0

    def rmdir(self, path):
        with self.model.lock:
            parent, name = self.model.parent_and_name(path)
            node = self.model.lookup(path)
            if node.entries:
                raise fuse.FuseOSError(errno.ENOTEMPTY)
            del parent.entries[name]
            self.model.directory_changed(parent)
            return 0

    def create(self, path, mode, flags):
        with self.model.lock:
            parent, name = self.model.parent_and_name(path)
            if name in parent.entries:
                node = self.model.inodes[parent.entries[name]]
            else:
                node = self.model.new_inode("f", mode)
                parent.entries[name] = node.number
                self.model.stats["create"] += 1
                self.model.directory_changed(parent)
            return self.model.open_handle(node, flags)

    def open(self, path, flags):
        with self.model.lock:
            node = self.model.lookup(path)
            if node.kind == "d" and flags & (os.O_WRONLY | os.O_RDWR):
                raise fuse.FuseOSError(errno.EISDIR)
            return self.model.open_handle(node, flags)

    def release(self, path, fh):
        with self.model.lock:
            self.model.handles.pop(fh, None)
            return 0

    def flush(self, path, fh):
        return 0

    def read(self, path, size, offset, fh):
        with self.model.lock:
            return bytes(self.node(path, fh).data[offset:offset + size])

    def write(self, path, data, offset, fh):
        with self.model.lock:
            node = self.node(path, fh)
            if offset > len(node.data):
                node.data.extend(bytes(offset - len(node.data)))
            node.data[offset:offset + len(data)] = data
            node.pending.append(("w", offset, bytes(data)))
            self.model.stats["write"] += 1
            if fh in self.model.handles and self.model.handles[fh][1]:
                self.model.sync_file(node)
            return len(data)

    def truncate(self, path, length, fh=None):
        with self.model.lock:
            node = self.node(path, fh)
            if length < len(node.data):
                del node.data[length:]
            else:
                node.data.extend(bytes(length - len(node.data)))
            node.pending.append(("t", length))
            return 0

    def fallocate(self, path, mode, offset, size, fh):
        with self.model.lock:
            if mode != 0:
                raise fuse.FuseOSError(errno.EOPNOTSUPP)
            node = self.node(path, fh)
            if offset + size > len(node.data):
                node.data.extend(bytes(offset + size - len(node.data)))
                node.pending.append(("t", len(node.data)))
            return 0

    def fsync(self, path, datasync, fh):
        with self.model.lock:
            node = self.node(path, fh)
            self.model.stats["fsync"] += 1
            if node.kind == "d":
                self.model.sync_directory(node)
            else:
                self.model.sync_file(node)
            return 0

    def fsyncdir(self, path, datasync, fh):
        with self.model.lock:
            self.model.stats["fsyncdir"] += 1
            self.model.sync_directory(self.model.lookup(path))
            return 0

    def unlink(self, path):
        with self.model.lock:
            parent, name = self.model.parent_and_name(path)
            if name not in parent.entries:
                raise fuse.FuseOSError(errno.ENOENT)
            del parent.entries[name]
            self.model.stats["unlink"] += 1
            self.model.directory_changed(parent)
            return 0

    def rename(self, old, new):
        with self.model.lock:
            source, old_name = self.model.parent_and_name(old)
            target, new_name = self.model.parent_and_name(new)
            if old_name not in source.entries:
                raise fuse.FuseOSError(errno.ENOENT)
            target.entries[new_name] = source.entries.pop(old_name)
            self.model.stats["rename"] += 1
            self.model.directory_changed(source, target)
            return 0

    def chmod(self, path, mode):
        with self.model.lock:
            node = self.model.lookup(path)
            node.mode = mode & 0o7777
            key = str(node.number)
            if key in self.model.durable["inodes"]:
                self.model.durable["inodes"][key][1] = node.mode
                self.model.save_meta()
            return 0

    def chown(self, path, uid, gid):
        return 0

    def utimens(self, path, times=None):
        return 0

    def access(self, path, amode):
        with self.model.lock:
            self.model.lookup(path)
            return 0

    def statfs(self, path):
        return {"f_bsize": 4096, "f_frsize": 4096, "f_blocks": 1 << 24, "f_bfree": 1 << 23, "f_bavail": 1 << 23,
                "f_files": 1 << 20, "f_ffree": 1 << 19, "f_namemax": 255}


def serve_control(model, path):
    """Answers `stats` and `cut` on a Unix socket; `cut` ends the process, as a power cut ends the cache."""
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    while True:
        connection, _ = server.accept()
        with connection:
            command = connection.makefile().readline().split()
            if not command:
                continue
            if command[0] == "stats":
                with model.lock:
                    connection.sendall((json.dumps(model.stats) + "\n").encode())
            elif command[0] == "cut":
                model.lock.acquire()  # held until the process ends: no operation runs after the cut
                model.cut(int(command[1]), command[2] == "1")
                connection.sendall(b"ok\n")
                os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backing")
    parser.add_argument("mountpoint")
    parser.add_argument("--control", required=True)
    parser.add_argument("--strict", action="store_true", help="directory entries durable only at a directory fsync")
    arguments = parser.parse_args()
    model = Model(arguments.backing, arguments.strict)
    threading.Thread(target=serve_control, args=(model, arguments.control), daemon=True).start()
    fuse.FUSE(CrashFS(model), arguments.mountpoint, foreground=True, nothreads=True, hard_remove=True,
              default_permissions=True, fsname="crashfs", debug=bool(os.environ.get("CRASHFS_DEBUG")))


if __name__ == "__main__":
    sys.exit(main())
