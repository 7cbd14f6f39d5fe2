import { spawn } from 'node:child_process';

/**
 * A tiny model of a terminal screen: what a person would see after `text` was written to a
 * terminal `columns` wide. It follows carriage returns, newlines, erase-line and erase-to-end
 * sequences and wraps long lines; other escape sequences (cursor visibility) are ignored.
 */
export function screenOf(text: string, columns = 160): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\x1b') {
      const csi = /^\x1b\[([?0-9;]*)([A-Za-z])/.exec(text.slice(i));
      if (csi) {
        if (csi[2] === 'K') {
          const mode = csi[1] || '0';
          if (mode === '2') lines[row] = [];
          else if (mode === '0') lines[row] = lines[row]!.slice(0, col);
        }
        i += csi[0].length - 1;
      }
      continue;
    }
    if (char === '\r') col = 0;
    else if (char === '\n') {
      row++;
      col = 0;
      lines[row] ??= [];
    } else {
      if (col >= columns) {
        row++;
        col = 0;
        lines[row] ??= [];
      }
      const line = lines[row]!;
      while (line.length < col) line.push(' ');
      line[col++] = char;
    }
  }
  return lines.map((line) => line.join('').trimEnd()).filter((line, index, all) => line !== '' || index < all.length - 1);
}

/** Opens a pseudo-terminal of `columns`×`rows` (python3's pty module), runs `sh -c command` in it. */
const PTY = `
import fcntl, os, pty, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', int(sys.argv[3]), int(sys.argv[2]), 0, 0))
    os.execvp('sh', ['sh', '-c', sys.argv[1]])
out = sys.stdout.buffer
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out.write(chunk)
    out.flush()
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;

/** What a command wrote to a terminal, and its exit code. */
export interface TerminalRun {
  output: string;
  code: number | null;
}

/** Runs `command` in a pseudo-terminal `columns` wide and `rows` high, with `env` added, from `cwd`. */
export function runInTerminal(command: string, options: { columns: number; rows: number; cwd: string; env?: NodeJS.ProcessEnv }): Promise<TerminalRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', PTY, command, String(options.columns), String(options.rows)], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ output, code }));
  });
}
