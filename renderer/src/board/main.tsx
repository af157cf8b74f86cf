/**
 * The board page's entry (board.html). Its BoardApi is `window.board` in the desktop app's board
 * window (its preload) or, in a browser, the web bridge's /board routes with the key in the address.
 */
import '../zod-config';
import '@fontsource/noto-sans-devanagari/400.css';
import '@fontsource/noto-sans-devanagari/700.css';
import './board.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { BoardApi } from '../../../common/board';
import { Board } from './Board';
import { boardKeyFromHash, httpBoardApi } from './http';
import { WebAudioPlayer } from './sound';
import { BOARD_TEXT } from './texts';

const desktop = (window as Window & { board?: BoardApi }).board;
const key = boardKeyFromHash(window.location.hash);
const api: BoardApi | null = desktop ?? (key ? httpBoardApi({ key }) : null);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      {api ? (
        <Board api={api} player={new WebAudioPlayer()} />
      ) : (
        <main className="board board--message" role="alert">
          <span className="board-both board-message">
            <span lang="en">{BOARD_TEXT.refused.en}</span>
            <span lang="hi">{BOARD_TEXT.refused.hi}</span>
          </span>
        </main>
      )}
    </StrictMode>,
  );
}
